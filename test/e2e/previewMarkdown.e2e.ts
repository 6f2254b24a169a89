// The preview renderer on the real Pulumi engine, against a fixture program whose resource needs
// no provider plugin beyond Node.js: no change says so; a config change names the property.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

import { previewMarkdown } from "../../tools/previewMarkdown";

describe("preview as Markdown, on the real Pulumi engine", function () {
    this.timeout(5 * 60 * 1000);

    let root: string;
    let stack: Stack;
    // previewMarkdown, like the pulumi CLI, takes the backend and passphrase from the environment.
    const saved = { ...process.env };

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-preview-"));
        const dir = path.join(root, "program");
        fs.cpSync(path.join(__dirname, "fixtures", "preview"), dir, { recursive: true });
        fs.symlinkSync(
            path.resolve(__dirname, "..", "..", "node_modules"),
            path.join(dir, "node_modules"),
        );
        fs.mkdirSync(path.join(root, "state"));
        process.env.PULUMI_BACKEND_URL = `file://${path.join(root, "state")}`;
        process.env.PULUMI_CONFIG_PASSPHRASE = crypto.randomBytes(16).toString("hex");
        stack = await LocalWorkspace.createStack({ stackName: "preview", workDir: dir });
        await stack.up();
    });

    after(async () => {
        await stack?.destroy();
        fs.rmSync(root, { recursive: true, force: true });
        process.env = saved;
    });

    it("says there is no change straight after an up", async () => {
        assert.strictEqual(
            await previewMarkdown("preview", stack.workspace.workDir),
            "### `pulumi preview` of stack `preview`\n\n**No changes.** 3 resources unchanged.\n",
        );
    });

    it("names the changed property after a config change", async () => {
        await stack.setConfig("preview-fixture:greeting", { value: "hi" });
        const markdown = await previewMarkdown("preview", stack.workspace.workDir);
        assert.match(markdown, /\*\*1 to update\*\*, 2 unchanged\./);
        assert.match(
            markdown,
            /\| update \| `greeting` \| `pulumi-nodejs:dynamic:Resource` \| `text` \|/,
        );
    });
});
