// The program on the real Pulumi engine (the test bed's CLI and the Node.js language host at its version):
// config is checked against Pulumi.yaml's types, and a bad setting or a plain-text secret
// stops the deployment with the component's message before any resource exists.
import * as assert from "assert";
import { Stack } from "@pulumi/pulumi/automation";

import { ProjectCopy, newStack, setConfig } from "./harness";
import { nodejsLanguage, pluginsInstalled } from "./plugins";

describe("the program on the real Pulumi engine", function () {
    if (!pluginsInstalled(this, nodejsLanguage)) return;
    this.timeout(5 * 60 * 1000);

    let project: ProjectCopy;
    let stack: Stack;

    /** Runs `preview` and returns the message it failed with. */
    async function previewError(): Promise<string> {
        try {
            await stack.preview();
        } catch (err) {
            return (err as Error).message;
        }
        throw new Error("preview succeeded; it was expected to fail");
    }

    /** Resources in the stack's state besides the stack itself. */
    async function resourceCount(): Promise<number> {
        const resources: { type: string }[] =
            (await stack.exportStack()).deployment.resources ?? [];
        return resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
    }

    before(async () => {
        project = new ProjectCopy("flaskapp-e2e-engine");
        stack = await newStack(project, "engine");
    });

    after(async () => {
        await stack?.workspace.removeStack(stack.name);
        project?.remove();
    });

    beforeEach(async () => {
        for (const key of Object.keys(await stack.getAllConfig())) await stack.removeConfig(key);
    });

    it("stops a bad setting at preview with the component's message, creating nothing", async () => {
        await setConfig(stack, { target: "kubernetes", replicas: 0 });
        const message = await previewError();
        assert.match(
            message,
            /FlaskApp "flask-app": `kubernetes\.replicas` must be an integer of at least 1; got 0/,
        );
        assert.doesNotMatch(
            message,
            /at resolveSettings|\.ts:\d+/,
            "no stack trace for a config error",
        );
        await assert.rejects(
            stack.up(),
            /`kubernetes\.replicas` must be an integer of at least 1; got 0/,
        );
        assert.strictEqual(await resourceCount(), 0);
    });

    it("names every bad setting at once", async () => {
        await setConfig(stack, { cpuLimit: "lots", hostAddress: "localhost" });
        const message = await previewError();
        assert.match(message, /FlaskApp "flask-app" has 2 invalid settings:/);
        assert.match(
            message,
            /`resources\.cpuLimit` must be a positive Kubernetes CPU quantity such as "250m" or "1"; got "lots"/,
        );
        assert.match(
            message,
            /`docker\.hostAddress` must be an IPv4 or IPv6 address such as "127\.0\.0\.1"; got "localhost"/,
        );
    });

    it("refuses a registry password stored in plain text", async () => {
        await setConfig(stack, { registryUsername: "ci", registryPassword: "hunter2" });
        const message = await previewError();
        assert.match(
            message,
            /`registryPassword` must be stored encrypted: set it with `pulumi config set --secret registryPassword`/,
        );
        assert.doesNotMatch(message, /hunter2/);
    });

    it("enforces the config types Pulumi.yaml declares", async () => {
        await setConfig(stack, { hostPort: "eighty" });
        assert.match(
            await previewError(),
            /configuration key 'hostPort' must be of type 'integer'/,
        );
    });
});
