import ArgumentParser

/// Release-mode benchmarks of the platform: `swift run -c release faas-bench <subcommand>`.
@main
struct FaasBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faas-bench",
        abstract: "Benchmarks of cvmfaas (build with -c release).",
        subcommands: [
            SandboxBenchmark.self, RegistryBench.self, ActivationBench.self, SchedulerBenchmark.self, AsyncBenchmark.self,
            NIOHelloServer.self, KeyValueBench.self, EgressBench.self,
        ]
    )
}
