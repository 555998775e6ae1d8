import BantamCLI

await BantamCommand.main()
