// The pull-request preview (`npm run preview:md`) of the component's own stack, on the real
// Pulumi engine and the test bed's cluster: no change says so; a CPU limit change names the
// Deployment's changed property; no secret value ever reaches the Markdown. The tests run in
// order on one stack.
import * as assert from "assert";
import * as crypto from "crypto";
import { execFileSync } from "child_process";

import { configureKubernetesStack, setConfig } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { secretForms } from "../support/registry";
import { useStack } from "../support/stack";
import { kubernetesTargetPlugins } from "./plugins";

const needs: SuiteNeeds = { plugins: kubernetesTargetPlugins, timeoutMinutes: 10 };

e2eSuite("preview as Markdown, on the component's own stack", needs, () => {
    const bed = testBed();
    const namespace = `e2e-md-${crypto.randomBytes(3).toString("hex")}`;
    const apiKey = crypto.randomBytes(12).toString("hex");
    const suite = useStack("md", {
        configure: async (stack) => {
            await configureKubernetesStack(
                stack,
                bed,
                `e2e/flask-app-md-${crypto.randomBytes(3).toString("hex")}`,
                namespace,
            );
            await stack.setConfig(
                "flask-app:secretEnv.API_KEY",
                { value: apiKey, secret: true },
                true,
            );
        },
    });

    /** `npm run preview:md` as a user runs it, with the stack's backend and passphrase. */
    const previewMarkdown = () =>
        execFileSync("npm", ["run", "--silent", "preview:md", "--", "--stack", suite.stack.name], {
            cwd: suite.project.dir,
            env: { ...process.env, ...suite.stack.workspace.envVars },
            encoding: "utf8",
        });
    const assertNoSecret = (markdown: string) => {
        for (const secret of [...secretForms(bed.username, bed.password), apiKey]) {
            assert.ok(!markdown.includes(secret), "a secret value is in the Markdown");
        }
    };

    before(async () => {
        await suite.stack.up();
    });

    it("says there is no change straight after an up", () => {
        const markdown = previewMarkdown();
        assert.match(
            markdown,
            /^### `pulumi preview` of stack `md-[0-9a-f]+`\n\n\*\*No changes\.\*\* \d+ resources unchanged\.\n$/,
        );
        assertNoSecret(markdown);
    });

    it("names the Deployment's changed property after a CPU limit change, and no value", async () => {
        await setConfig(suite.stack, { cpuLimit: "750m" });
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
