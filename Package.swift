// swift-tools-version:6.2
import PackageDescription

/// Every target reads the same way: explicit existentials, imports visible only where they are
/// written, and internal imports unless an API really re-exports a dependency's type.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "cvmfaas",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "faas", targets: ["faas"]),
        .executable(name: "faas-bench", targets: ["faas-bench"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "Scheduler", targets: ["Scheduler"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Egress", targets: ["Egress"]),
    ],
    dependencies: [
        // One trait, named: with WasmKit's default three, SwiftPM wrote their -D flags in an order that
        // changed between builds, and every such change recompiled WasmKit and relinked everything (about
        // 4.5 min for a build with nothing to do). MultiThread is the only one used: compartments run on
        // several threads; modules are parsed from bytes (no FileSystem), nothing is disassembled.
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2", traits: ["MultiThread"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // The in-process Intravisor emulator: capabilities, compartments, hostcalls, limits.
        .target(
            name: "Sandbox",
            dependencies: [
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
            ],
            swiftSettings: strictSettings
        ),
        // libcurl, wrapped for Swift (its setopt and getinfo are variadic).
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // Linux's CPU affinity calls, which Swift's Glibc module does not declare (worker pinning).
        .target(name: "CAffinity"),
        // Outbound HTTP of guests on libcurl: resolve, check the address, pin, limits.
        .target(
            name: "Egress",
            dependencies: ["Sandbox", "CCurl"],
            swiftSettings: strictSettings
        ),
        // Archives, manifests, the image store and the SQLite function registry.
        .target(
            name: "Registry",
            dependencies: [
                "Sandbox",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The PostgreSQL backend of every Registry protocol, for several nodes on one registry.
        .target(
            name: "RegistryPostgres",
            dependencies: [
                "Registry",
                "Sandbox",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Warm pools, admission, deadlines, activations and metrics.
        .target(
            name: "Scheduler",
            dependencies: [
                "Sandbox",
                "Registry",
                "CAffinity",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP API over SwiftNIO.
        .target(
            name: "Gateway",
            dependencies: [
                "Scheduler",
                "Registry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "faas",
            dependencies: [
                "Gateway",
                "Egress",
                "RegistryPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Release-mode benchmarks: `swift run -c release faas-bench --help`.
        .executableTarget(
            name: "faas-bench",
            dependencies: [
                "Sandbox",
                "SandboxTesting",
                "Registry",
                "Scheduler",
                "Gateway",
                "Egress",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Test helper: deploys archives in a loop until the crash-consistency test kills it.
        .executableTarget(
            name: "registry-crash-child",
            dependencies: [
                "Registry",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Test helpers: WAT fixtures, built example modules, a hostile-guest kit.
        .target(
            name: "SandboxTesting",
            dependencies: [
                "Sandbox",
                .product(name: "WAT", package: "WasmKit"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "Sandbox",
                "SandboxTesting",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "Registry",
                "RegistryPostgres",
                "Sandbox",
                "SandboxTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: [
                "Scheduler", "Registry", "Sandbox", "SandboxTesting", "Egress",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway",
                "Scheduler",
                "Registry",
                "Sandbox",
                "SandboxTesting",
                "Egress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EgressTests",
            dependencies: ["Egress", "Sandbox", "SandboxTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SandboxTesting"],
            swiftSettings: strictSettings
        ),
    ]
)
