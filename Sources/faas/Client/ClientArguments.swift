import ArgumentParser

/// Client options written before the subcommand (`faas --gateway URL ls`), moved behind it
/// (`faas ls --gateway URL`), where each client command declares them: SPEC accepts both positions.
enum ClientArguments {
    /// The options every client command takes, each with a value.
    static let names: Set<String> = ["--gateway", "--token"]

    /// `arguments` (without the program name) with leading client options moved behind the
    /// subcommand path, e.g. `kv ls` for `faas --token T kv ls`. Anything else is left as it is,
    /// so a misplaced option still gets the parser's own error.
    static func hoisted(_ arguments: [String], root: any ParsableCommand.Type = Faas.self) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if names.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if let name = argument.split(separator: "=", maxSplits: 1).first, argument.contains("="),
                names.contains(String(name))
            {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        // Walk the subcommand path: each word that names a subcommand of the one before.
        var command: any ParsableCommand.Type = root
        var depth = 0
        while depth < rest.count,
            let next = command.configuration.subcommands.first(where: { $0._commandName == rest[depth] })
        {
            command = next
            depth += 1
        }
        rest.insert(contentsOf: leading, at: depth)
        return rest
    }
}
