// Build-time tool: writes a Swift file declaring `package let SYMBOL: String` holding the text of a UTF-8 file.
// Usage: EmbedResourceTool INPUT OUTPUT SYMBOL
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: EmbedResourceTool INPUT OUTPUT SYMBOL\n".utf8))
    exit(64)
}
let data: Data
do {
    data = try Data(contentsOf: URL(fileURLWithPath: arguments[1]))
} catch {
    FileHandle.standardError.write(Data("EmbedResourceTool: cannot read \(arguments[1]): \(error)\n".utf8))
    exit(66)
}
guard let text = String(data: data, encoding: .utf8) else {
    FileHandle.standardError.write(Data("EmbedResourceTool: \(arguments[1]) is not UTF-8\n".utf8))
    exit(65)
}
// A raw string literal whose delimiter cannot occur in the text.
var hashes = "#"
while text.contains("\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
let source = """
    // Generated at build time by EmbedResourceTool from \(URL(fileURLWithPath: arguments[1]).lastPathComponent). Do not edit.
    package let \(arguments[3]): String = \(hashes)\"\"\"
    \(text)
    \"\"\"\(hashes)

    """
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[2]), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("EmbedResourceTool: cannot write \(arguments[2]): \(error)\n".utf8))
    exit(73)
}
