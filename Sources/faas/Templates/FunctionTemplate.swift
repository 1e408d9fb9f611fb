/// The starting points `faas new` writes: a working function per language and ABI, with its
/// `function.yaml` (and the `build:` command that compiles it) and a README line. Each is
/// self-contained: the C and Rust `iv` templates declare the few `intravisor` imports they use,
/// so a folder builds anywhere the README's set-up has run.
struct FunctionTemplate {
    enum Language: String, CaseIterable {
        case c, rust, js
    }

    enum ABI: String, CaseIterable {
        case iv, wasi
    }

    let language: Language
    let abi: ABI

    /// The files of function `name`, by path inside its folder.
    func files(name: String) -> [String: String] {
        var files = ["README.md": readme(name)]
        switch (language, abi) {
        case (.c, .wasi):
            files["function.yaml"] = manifest(name, abi: "wasi", build: Self.clang + " -nodefaultlibs -o \(name).wasm main.c -lc")
            files["main.c"] = Self.cWASI
        case (.c, .iv):
            files["function.yaml"] = manifest(
                name, abi: "iv",
                build: Self.clang + " -nostdlib -mexec-model=reactor -Wl,--no-entry -Wl,--export=iv_main -o \(name).wasm main.c")
            files["main.c"] = Self.cIV
        case (.rust, .wasi):
            files["function.yaml"] = manifest(
                name, abi: "wasi", build: Self.rustc + " --target wasm32-wasi -o \(name).wasm src/main.rs")
            files["src/main.rs"] = Self.rustWASI
        case (.rust, .iv):
            files["function.yaml"] = manifest(
                name, abi: "iv",
                build: Self.rustc
                    + " --target wasm32-unknown-unknown --crate-type cdylib -C link-arg=-zstack-size=65536 -o \(name).wasm src/lib.rs")
            files["src/lib.rs"] = Self.rustIV
        case (.js, _):
            files["function.yaml"] = """
                name: \(name)
                runtime: js
                handler: index.js
                description: "Says hello (JavaScript)"

                """
            files["index.js"] = Self.javaScript
        }
        return files
    }

    private func manifest(_ name: String, abi: String, build: String) -> String {
        """
        name: \(name)
        module: \(name).wasm
        abi: \(abi)
        description: "Says hello (\(language == .c ? "C" : "Rust"), abi \(abi))"
        build: "\(build)"

        """
    }

    private func readme(_ name: String) -> String {
        let build = language == .js ? "" : "faas build \(name) && "
        return """
            # \(name)
            A \(language == .js ? "JavaScript" : language == .c ? "C" : "Rust") function\(language == .js ? "" : " (abi \(abi.rawValue))") made by `faas new`. \
            Try it: `\(build)faas deploy \(name) && faas invoke \(name) -d you` (answers `Hello, you!`).

            """
    }

    // `faas build` runs these with the Swift toolchain's bin folder (clang, wasm-ld) on PATH.
    private static let clang = "clang --target=wasm32-wasi --sysroot=${WASI_SYSROOT:-/usr} -O2"
    private static let rustc = "${RUSTC:-/usr/bin/rustc} --edition 2021 -O -C strip=symbols"

    private static let cWASI = """
        // A WASI command: stdin is the request body, stdout the response body, stderr the log.
        #include <stdio.h>

        int main(void) {
            char body[4096];
            size_t length = fread(body, 1, sizeof body - 1, stdin);
            while (length > 0 && (body[length - 1] == '\\n' || body[length - 1] == '\\r')) length--;
            body[length] = '\\0';
            fputs("Hello, ", stdout);
            fputs(length > 0 ? body : "world", stdout);
            fputs("!\\n", stdout);
            return 0;
        }

        """

    private static let cIV = """
        // An `iv` reactor: iv_main runs per invocation from the sealed snapshot; it reads the request
        // body and writes the response through the `intravisor` imports (functions/sdk/intravisor.h
        // in the cvmfaas sources declares them all, with helpers).
        #include <stdint.h>

        #define IMPORT(name) __attribute__((import_module("intravisor"), import_name(#name)))
        IMPORT(request_read) int32_t request_read(void *dst, int32_t len, int32_t offset);
        IMPORT(response_write) int32_t response_write(const void *src, int32_t len);

        __attribute__((export_name("iv_main"))) int iv_main(void) {
            static const char hello[] = "Hello, ", world[] = "world", end[] = "!\\n";
            char body[4096];
            int32_t length = request_read(body, sizeof body, 0);
            while (length > 0 && (body[length - 1] == '\\n' || body[length - 1] == '\\r')) length--;
            response_write(hello, sizeof hello - 1);
            if (length > 0) response_write(body, length);
            else response_write(world, sizeof world - 1);
            response_write(end, sizeof end - 1);
            return 0;
        }

        """

    private static let rustWASI = """
        // A WASI command: stdin is the request body, stdout the response body, stderr the log.
        use std::io::{self, Read, Write};

        fn main() {
            let mut body = String::new();
            io::stdin().read_to_string(&mut body).expect("the request body is UTF-8");
            let who = body.trim_end_matches(['\\r', '\\n']);
            let who = if who.is_empty() { "world" } else { who };
            write!(io::stdout(), "Hello, {}!\\n", who).expect("stdout");
        }

        """

    private static let rustIV = """
        // An `iv` reactor: iv_main runs per invocation from the sealed snapshot; it reads the request
        // body and writes the response through the `intravisor` imports (functions/sdk/rust in the
        // cvmfaas sources wraps them all, with typed errors).
        #![no_std]

        #[link(wasm_import_module = "intravisor")]
        extern "C" {
            fn request_read(dst: *mut u8, len: i32, offset: i32) -> i32;
            fn response_write(src: *const u8, len: i32) -> i32;
        }

        fn write(bytes: &[u8]) {
            unsafe { response_write(bytes.as_ptr(), bytes.len() as i32) };
        }

        #[no_mangle]
        pub extern "C" fn iv_main() -> i32 {
            let mut body = [0u8; 4096];
            let mut length = unsafe { request_read(body.as_mut_ptr(), body.len() as i32, 0) }.max(0) as usize;
            while length > 0 && (body[length - 1] == b'\\n' || body[length - 1] == b'\\r') {
                length -= 1;
            }
            write(b"Hello, ");
            write(if length > 0 { &body[..length] } else { b"world" });
            write(b"!\\n");
            0
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo) -> ! {
            core::arch::wasm32::unreachable()
        }

        """

    private static let javaScript = """
        // Runs on the platform's JavaScript runtime. The top level runs once, before the compartment
        // is sealed; fetch runs per invocation, from that snapshot.
        export default {
          async fetch(request, env) {
            const who = (await request.text()).trim() || "world";
            return new Response(`Hello, ${who}!\\n`, { headers: { "content-type": "text/plain" } });
          },
        };

        """
}
