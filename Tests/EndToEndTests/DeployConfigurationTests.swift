import Foundation
import SandboxTesting
import Testing

/// What `deploy/` holds for running several nodes (HAProxy, the local cluster script, the
/// Kubernetes manifests), checked offline: no Kubernetes cluster runs here, so the manifests are
/// validated against the Kubernetes schemas and cross-checked against each other and the gateway.
@Suite struct DeployConfigurationTests {
    static let deploy = Examples.packageRoot.appendingPathComponent("deploy")

    @Test func everyDeployConfigurationPassesItsOfflineCheck() async throws {
        let result = try await ChildProcess.run(
            Self.deploy.appendingPathComponent("check"), directory: Examples.packageRoot, timeout: .seconds(600))
        #expect(result.status == 0, "deploy/check: \(result.output) \(result.errors)")
        #expect(result.output.contains("ok deploy/kubernetes/postgres-cluster.yaml"))
    }

    @Test func aManifestWithAnUnknownFieldOrAWrongSelectorFailsTheCheck() async throws {
        let scratch = try TemporaryFolder(prefix: "faas-manifests")
        let source = Self.deploy.appendingPathComponent("kubernetes")
        let cases: [(file: String, from: String, to: String, says: String)] = [
            ("gateway-deployment.yaml", "imagePullPolicy:", "imagePullPolicyy:", "imagePullPolicyy"),
            ("gateway-service.yaml", "app.kubernetes.io/name: faas-gateway", "app.kubernetes.io/name: faas-gatway", "matches the pods of no Deployment"),
        ]
        for broken in cases {
            let copy = scratch.url.appendingPathComponent(UUID().uuidString)
            try FileManager.default.copyItem(at: source, to: copy)
            let file = copy.appendingPathComponent(broken.file)
            let text = try String(contentsOf: file, encoding: .utf8)
            try #require(text.contains(broken.from))
            try text.replacingOccurrences(of: broken.from, with: broken.to).write(to: file, atomically: true, encoding: .utf8)
            let result = try await ChildProcess.run(
                source.appendingPathComponent("validate"), [copy.path], directory: Examples.packageRoot,
                timeout: .seconds(600))
            #expect(result.status != 0, "\(broken.file) with \(broken.to) passed")
            #expect((result.output + result.errors).contains(broken.says), "\(result.output) \(result.errors)")
        }
    }
}
