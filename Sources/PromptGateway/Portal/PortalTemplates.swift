import Mustache

/// The portal's templates (`Assets/*.mustache`, built into the binary as `PortalAssets`),
/// parsed once. Pages are rendered from a view model each, then put in the layout.
struct PortalTemplates: Sendable {
    let library: MustacheLibrary

    /// Fails only if a template of the package does not parse, which a test would catch first.
    init() throws {
        var library = MustacheLibrary()
        for (file, text) in PortalAssets.files where file.hasSuffix(".mustache") {
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        self.library = library
    }

    /// What the layout shows around a page.
    struct Layout {
        var title: String
        var body: String
        var version: String
        var catalogCurrent = false
        var usageCurrent = false
        /// Whether the page needs `portal.js` (Try it).
        var script = false
    }

    /// `view` rendered with `template`, inside the layout; nil for a template that is missing.
    func page(_ template: String, _ view: Any, layout: Layout) -> String? {
        guard let body = library.render(view, withTemplate: template) else { return nil }
        var layout = layout
        layout.body = body
        return library.render(layout, withTemplate: "layout")
    }

    /// A file of `Assets/` served as it is (the stylesheet and the script), with its media type.
    static func asset(_ name: String) -> (text: String, contentType: String)? {
        guard let text = PortalAssets.files[name] else { return nil }
        if name.hasSuffix(".css") { return (text, "text/css; charset=utf-8") }
        if name.hasSuffix(".js") { return (text, "text/javascript; charset=utf-8") }
        return nil
    }
}
