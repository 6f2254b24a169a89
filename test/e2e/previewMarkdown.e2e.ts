// The preview renderer on the real Pulumi engine, against a fixture program whose resource needs
// no provider plugin beyond Node.js: no change says so; a config change names the property.
import * as assert from "assert";
import * as crypto from "crypto";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

import { previewMarkdown } from "../../tools/previewMarkdown";
import { ProjectCopy } from "./harness";

describe("preview as Markdown, on the real Pulumi engine", function () {
    this.timeout(5 * 60 * 1000);

    let program: ProjectCopy;
    let stack: Stack;
    // previewMarkdown, like the pulumi CLI, takes the backend and passphrase from the environment.
    const saved = { ...process.env };

    before(async () => {
        program = new ProjectCopy("flaskapp-preview", path.join(__dirname, "fixtures", "preview"));
        process.env.PULUMI_BACKEND_URL = `file://${program.stateDir}`;
        process.env.PULUMI_CONFIG_PASSPHRASE = crypto.randomBytes(16).toString("hex");
        stack = await LocalWorkspace.createStack({ stackName: "preview", workDir: program.dir });
        await stack.up();
    });

    after(async () => {
        await stack?.destroy();
        program?.remove();
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
