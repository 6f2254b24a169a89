import * as assert from "assert";

import { ignored, roundKind } from "../tools/devWatch";

describe("the watch mode's reading of a save", () => {
    it("reloads a change to the app's code, templates or data in place", () => {
        assert.strictEqual(roundKind(["flask_app/__init__.py"]), "reload");
        assert.strictEqual(
            roundKind(["flask_app/templates/index.html", "flask_app/views.py"]),
            "reload",
        );
    });

    it("rebuilds and rolls out when a burst touches what the image is built from", () => {
        for (const file of ["requirements.txt", "Dockerfile", ".dockerignore", "server.py"]) {
            assert.strictEqual(roundKind(["flask_app/__init__.py", file]), "rebuild", file);
        }
        // Only the app folder's own: a module of that name inside the package is code.
        assert.strictEqual(roundKind(["flask_app/server.py"]), "reload");
    });

    it("ignores bytecode, editors' temporary files and what the image leaves out", () => {
        for (const file of [
            "flask_app/__pycache__/__init__.cpython-311.pyc",
            "flask_app/x.pyc",
            "flask_app/.#__init__.py",
            "flask_app/__init__.py~",
            "flask_app/.__init__.py.swp",
            "flask_app/4913",
            "requirements-dev.txt",
        ]) {
            assert.ok(ignored(file), file);
        }
        assert.ok(!ignored("flask_app/__init__.py"));
        assert.ok(!ignored("requirements.txt"));
    });
});
