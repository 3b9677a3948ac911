import ContextCLI

await MemctxMain.run()
