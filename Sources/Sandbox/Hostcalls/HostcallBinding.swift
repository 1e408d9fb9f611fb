/// The context a compartment's host functions reach. The host functions live in the instance's store and
/// are made once, at instantiation; when a recycled instance (``GuestInstance``) becomes another
/// compartment, the binding is pointed at that compartment's context before anything can run.
///
/// The context is held `unowned(unsafe)`: it is owned by the compartment, which owns the instance while
/// it runs; an instance waiting to be recycled runs nothing, and is rebound before it runs again.
final class HostcallBinding {
    unowned(unsafe) var context: HostcallContext

    init(_ context: HostcallContext) {
        self.context = context
    }
}
