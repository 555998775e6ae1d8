import BantamCLI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every error is caught inside BantamMain.run and reported as one line on stderr.
exit(await BantamMain.run(Array(CommandLine.arguments.dropFirst())))
