#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A `.safetensors` file mapped into memory read-only: the weights are paged in by the kernel on first use
/// and shared with every other process mapping the same file, never copied onto the heap.
///
/// Format: 8-byte little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}}`, then the
/// raw little-endian tensor bytes.
final class SafeTensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and lives exactly as long as this object; nothing mutates it.

    struct TensorInfo: Sendable {
        var dtype: String
        var shape: [Int]
        var range: Range<Int>
    }

    let url: URL
    let tensors: [String: TensorInfo]
    private let base: UnsafeRawPointer
    private let length: Int
    private let dataStart: Int

    init(url: URL) throws(SentenceEmbeddingError) {
        self.url = url
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SentenceEmbeddingError(.modelFilesMissing, "cannot open \(url.lastPathComponent): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size >= 8 else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent) is too short to be a safetensors file")
        }
        let length = Int(status.st_size)
        guard let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else {
            throw SentenceEmbeddingError(.invalidModelFile, "cannot map \(url.lastPathComponent) into memory")
        }
        let base = UnsafeRawPointer(mapping)
        do throws(SentenceEmbeddingError) {
            // Compared as UInt64 first: a corrupt length of 2^63 or more must be an error, not a trap.
            let rawLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
            guard rawLength > 0, rawLength <= UInt64(length - 8) else {
                throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent): header length out of range")
            }
            let headerLength = Int(rawLength)
            let header = Data(bytes: base + 8, count: headerLength)
            self.tensors = try Self.parseHeader(header, dataLength: length - 8 - headerLength, name: url.lastPathComponent)
            self.dataStart = 8 + headerLength
        } catch {
            munmap(mapping, length)
            throw error
        }
        self.base = base
        self.length = length
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }

    /// The float32 tensor `name`, checked against `shape`. Points into the mapping (valid while `self` lives).
    func floats(_ name: String, shape: [Int]) throws(SentenceEmbeddingError) -> UnsafePointer<Float> {
        guard let info = tensors[name] else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent) has no tensor '\(name)'")
        }
        guard info.dtype == "F32" else {
            throw SentenceEmbeddingError(.invalidModelFile, "tensor '\(name)' is \(info.dtype); float32 (F32) is needed")
        }
        guard info.shape == shape, info.range.count == shape.reduce(4, *) else {
            throw SentenceEmbeddingError(.invalidModelFile, "tensor '\(name)' has shape \(info.shape); \(shape) is needed")
        }
        let start = base + dataStart + info.range.lowerBound
        guard Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 else {
            throw SentenceEmbeddingError(.invalidModelFile, "tensor '\(name)' is not aligned to 4 bytes in the file")
        }
        return start.assumingMemoryBound(to: Float.self)
    }

    private static func parseHeader(_ header: Data, dataLength: Int, name: String) throws(SentenceEmbeddingError)
        -> [String: TensorInfo]
    {
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(name): the header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        for (key, value) in object where key != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength
            else {
                throw SentenceEmbeddingError(.invalidModelFile, "\(name): tensor '\(key)' has an invalid header entry")
            }
            tensors[key] = TensorInfo(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        return tensors
    }
}
