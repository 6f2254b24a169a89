import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { clearTextEntries, stackConfigFile } from "../components/stackFile";

describe("the stack's config file", () => {
    let root: string;
    beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"))));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const write = (name: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        fs.writeFileSync(path.join(root, name), text);
    };

    it("is found beside Pulumi.yaml, or in its stackConfigDir", () => {
        write("Pulumi.yaml", "name: app\nruntime: nodejs\n");
        write("Pulumi.dev.yaml", "config: {}\n");
        assert.strictEqual(stackConfigFile(root, "dev"), path.join(root, "Pulumi.dev.yaml"));
        assert.strictEqual(stackConfigFile(root, "prod"), undefined);

        write("Pulumi.yaml", "name: app\nruntime: nodejs\nstackConfigDir: stacks\n");
        write("stacks/Pulumi.prod.yaml", "config: {}\n");
        assert.strictEqual(
            stackConfigFile(root, "prod"),
            path.join(root, "stacks/Pulumi.prod.yaml"),
        );
    });

    it("is none where there is no project, as for a program run outside one", () => {
        assert.strictEqual(stackConfigFile(root, "dev"), undefined);
    });

    it("names the entries of a key held in clear text beside encrypted ones", () => {
        write(
            "Pulumi.dev.yaml",
            [
                "config:",
                "  app:secretEnv:",
                "    A:",
                "      secure: v1:AAAA",
                "    B: plain",
                "    C: 3",
                "  app:env:",
                "    D: shown",
            ].join("\n"),
        );
        const file = path.join(root, "Pulumi.dev.yaml");
        assert.deepStrictEqual(clearTextEntries(file, "app:secretEnv"), ["B", "C"]);
        assert.deepStrictEqual(clearTextEntries(file, "app:missing"), []);
    });

    it("names none when every entry is encrypted, or the key is not an object", () => {
        write(
            "Pulumi.dev.yaml",
            "config:\n  app:secretEnv:\n    A:\n      secure: v1:AAAA\n  app:x: 1\n",
        );
        const file = path.join(root, "Pulumi.dev.yaml");
        assert.deepStrictEqual(clearTextEntries(file, "app:secretEnv"), []);
        assert.deepStrictEqual(clearTextEntries(file, "app:x"), []);
    });
});
