import { registered, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

describe("the package other stacks import", () => {
    it("points main, types and exports at the built component library, not the program", () => {
        assert.strictEqual(manifest.main, "bin/components/index.js");
        assert.strictEqual(manifest.types, "bin/components/index.d.ts");
        assert.deepStrictEqual(manifest.exports["."], {
            types: "./bin/components/index.d.ts",
            default: "./bin/components/index.js",
        });
    });

    it("exports the component and its types, and creates nothing when imported", () => {
        reset();
        const entry = path.join(root, manifest.main);
        assert.ok(fs.existsSync(entry), `${manifest.main} is built (npm run build)`);
        delete require.cache[entry];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const library = require(entry);
        assert.strictEqual(typeof library.FlaskApp, "function");
        assert.strictEqual(typeof library.argsFromConfig, "function");
        assert.strictEqual(typeof library.FlaskAppArgsError, "function");
        assert.strictEqual(library.resolveSettings, undefined, "internals stay internal");
        assert.ok(fs.existsSync(path.join(root, manifest.types)));
        assert.deepStrictEqual(registered, []);
    });

    it("ships the app folder beside the library, where the component looks for it", () => {
        assert.ok(manifest.files.includes("app/"));
        const settings = path.join(root, path.dirname(manifest.main), "settings.js");
        const { bundledAppPath } = require(settings); // eslint-disable-line @typescript-eslint/no-require-imports
        assert.strictEqual(bundledAppPath(), "app");
    });
});
