import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal SwiftNIO HTTP/1.1 server answering every request with a fixed 200 "hello".
///
/// The baseline of the HTTP-limit comparison: what SwiftNIO alone costs per request on this machine,
/// without routing, admission, scheduling or a compartment. Binds loopback only.
struct NIOHelloServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-hello",
        abstract: "Serve a fixed 200 \"hello\" over HTTP/1.1 with SwiftNIO (baseline for the HTTP limit)."
    )

    @Option(help: "TCP port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 8090

    @Option(help: "Event-loop threads (default: the machine's cores).")
    var threads: Int = System.coreCount

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HelloHandler())
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
        print("nio-hello listening on \(channel.localAddress?.description ?? "127.0.0.1:\(port)")")
        try channel.closeFuture.wait()
        try group.syncShutdownGracefully()
    }
}

/// Answers each complete request with 200 "hello", keeping the connection alive when the client asks.
private final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain")
            headers.add(name: "Content-Length", value: "5")
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            var body = context.channel.allocator.buffer(capacity: 5)
            body.writeStaticString("hello")
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            guard !keepAlive else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
