import ArgumentParser

/// Release-mode benchmarks of the platform's parts.
struct FaasBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faas-bench",
        abstract: "Benchmarks of cvmfaas; run with `swift run -c release faas-bench <part>`.",
        subcommands: [RegistryBench.self])
}

FaasBench.main()
