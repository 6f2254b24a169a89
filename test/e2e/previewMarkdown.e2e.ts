// The pull-request preview (`npm run preview:md`) of the component's own stack, on the real
// Pulumi engine and the test bed's cluster: no change says so; a CPU limit change names the
// Deployment's changed property; no secret value ever reaches the Markdown. The tests run in
// order on one stack.
import * as assert from "assert";
import * as crypto from "crypto";
import { execFileSync } from "child_process";
import { Stack } from "@pulumi/pulumi/automation";

import {
    ProjectCopy,
    configureKubernetesStack,
    newStack,
    setConfig,
} from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { secretForms } from "../support/registry";
import { tearDown } from "../support/stack";
import { dockerProvider, kubernetesProvider, nodejsLanguage, pluginsInstalled } from "./plugins";

describe("preview as Markdown, on the component's own stack", function () {
    if (!pluginsInstalled(this, nodejsLanguage, dockerProvider, kubernetesProvider)) return;
    this.timeout(10 * 60 * 1000);

    const bed = testBed();
    const namespace = `e2e-md-${crypto.randomBytes(3).toString("hex")}`;
    const apiKey = crypto.randomBytes(12).toString("hex");
    let project: ProjectCopy;
    let stack: Stack;

    /** `npm run preview:md` as a user runs it, with the stack's backend and passphrase. */
    const previewMarkdown = () =>
        execFileSync("npm", ["run", "--silent", "preview:md", "--", "--stack", stack.name], {
            cwd: project.dir,
            env: { ...process.env, ...stack.workspace.envVars },
            encoding: "utf8",
        });
    const assertNoSecret = (markdown: string) => {
        for (const secret of [...secretForms(bed.username, bed.password), apiKey]) {
            assert.ok(!markdown.includes(secret), "a secret value is in the Markdown");
        }
    };

    before(async () => {
        project = new ProjectCopy("flaskapp-e2e-md");
        stack = await newStack(project, "md");
        await configureKubernetesStack(
            stack,
            bed,
            `e2e/flask-app-md-${crypto.randomBytes(3).toString("hex")}`,
            namespace,
        );
        await stack.setConfig("flask-app:secretEnv.API_KEY", { value: apiKey, secret: true }, true);
        await stack.up();
    });

    after(() => tearDown(stack, project));

    it("says there is no change straight after an up", () => {
        const markdown = previewMarkdown();
        assert.match(
            markdown,
            /^### `pulumi preview` of stack `md-[0-9a-f]+`\n\n\*\*No changes\.\*\* \d+ resources unchanged\.\n$/,
        );
        assertNoSecret(markdown);
    });

    it("names the Deployment's changed property after a CPU limit change, and no value", async () => {
        await setConfig(stack, { cpuLimit: "750m" });
        const markdown = previewMarkdown();
        assert.match(markdown, /\*\*1 to update\*\*, \d+ unchanged\./);
        assert.match(
            markdown,
            /\| update \| `flask-app-deployment` \| `kubernetes:apps\/v1:Deployment` \| `spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu` \|/,
        );
        assert.doesNotMatch(markdown, /750m|500m/, "values are never shown");
        assertNoSecret(markdown);
    });
});
