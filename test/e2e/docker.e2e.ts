// End to end on the docker target: the real Pulumi engine, Docker Engine and an
// authenticated registry. Run through scripts/e2e.sh, which provides all three.
import * as assert from "assert";
import * as crypto from "crypto";

import { docker } from "../../tools/testbed/docker";
import { freePort, httpGet } from "../../tools/testbed/http";
import { configureStack } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { registryDigest, secretForms } from "../support/registry";
import { EngineTranscript, changes, storedState, useStack } from "../support/stack";
import { dockerTargetPlugins } from "./plugins";

const needs: SuiteNeeds = { plugins: dockerTargetPlugins, timeoutMinutes: 20 };

e2eSuite("docker target, end to end", needs, () => {
    // A scenario, in order: the tests are the steps of one stack's life (up, no-op, app change,
    // bad password and recovery, destroy), each starting from the state the one before left and
    // reading `outputs` of the last up. A stack per test would rebuild and push for each.
    const bed = testBed();
    const repository = `e2e/flask-app-${crypto.randomBytes(3).toString("hex")}`;
    let hostPort: number;
    /** The outputs of the last `up`. */
    let outputs: { url: string; imageRef: string; container: string };
    // Everything the engine says in this suite, checked at the end for the registry password.
    const transcript = new EngineTranscript();
    const suite = useStack("docker", {
        configure: async (stack) => {
            hostPort = await freePort();
            await configureStack(stack, bed, repository, { target: "docker", hostPort });
        },
    });

    async function up() {
        const result = await transcript.upWithoutWarnings(suite.stack);
        outputs = {
            url: result.outputs.url.value,
            imageRef: result.outputs.imageRef.value,
            container: result.outputs.resourceNames.value.container,
        };
        return result;
    }
    const digestOf = (ref: string) => ref.split("@")[1];

    it("deploys the app: / and the health route answer 200 on the output URL", async () => {
        await up();
        assert.strictEqual(outputs.url, `http://127.0.0.1:${hostPort}`);
        const index = await httpGet(outputs.url + "/");
        assert.strictEqual(index.status, 200);
        assert.deepStrictEqual(JSON.parse(index.body), { message: "Hello from Flask!" });
        assert.strictEqual((await httpGet(outputs.url + "/healthz")).status, 200);
    });

    it("pushed the image that runs: the registry holds its digest", async () => {
        assert.match(
            outputs.imageRef,
            new RegExp(`^${bed.registry}/${repository}@sha256:[0-9a-f]{64}$`),
        );
        assert.strictEqual(
            await registryDigest(bed, repository, "latest"),
            digestOf(outputs.imageRef),
        );
    });

    it("runs the container as non-root, read-only, with the limits set", async () => {
        const inspect = JSON.parse(docker("inspect", outputs.container))[0];
        assert.strictEqual(inspect.Config.Image, outputs.imageRef);
        assert.strictEqual(inspect.Config.User, "10001:10001");
        assert.strictEqual(docker("exec", outputs.container, "id", "-u"), "10001");
        assert.strictEqual(inspect.HostConfig.Memory, 256 * 1024 * 1024);
        assert.strictEqual(inspect.HostConfig.NanoCpus, 500_000_000);
        assert.strictEqual(inspect.HostConfig.ReadonlyRootfs, true);
        assert.deepStrictEqual(inspect.HostConfig.CapDrop, ["ALL"]);
        assert.deepStrictEqual(inspect.HostConfig.PortBindings["8000/tcp"], [
            { HostIp: "127.0.0.1", HostPort: String(hostPort) },
        ]);
        assert.strictEqual(inspect.State.Health.Status, "healthy");
    });

    it("previews zero changes straight after, and a second up changes nothing", async () => {
        const preview = await suite.stack.preview(transcript.opts);
        assert.deepStrictEqual(changes(preview.changeSummary), {});
        const before = outputs.imageRef;
        const result = await up();
        assert.deepStrictEqual(changes(result.summary.resourceChanges), {});
        assert.strictEqual(outputs.imageRef, before);
        assert.strictEqual(await registryDigest(bed, repository, "latest"), digestOf(before));
    });

    it("rebuilds, pushes a new digest and replaces the container after a one-line app change", async () => {
        const before = outputs;
        suite.project.editApp(
            "flask_app/__init__.py",
            '"Hello from Flask!"',
            '"Hello again from Flask!"',
        );
        const result = await up();
        assert.deepStrictEqual(changes(result.summary.resourceChanges), { update: 1, replace: 1 });
        assert.notStrictEqual(digestOf(outputs.imageRef), digestOf(before.imageRef));
        assert.strictEqual(
            await registryDigest(bed, repository, "latest"),
            digestOf(outputs.imageRef),
        );
        assert.notStrictEqual(outputs.container, before.container);
        const index = await httpGet(outputs.url + "/");
        assert.deepStrictEqual(JSON.parse(index.body), { message: "Hello again from Flask!" });
    });

    it("fails clearly on a wrong registry password, then recovers from the same state", async () => {
        const before = outputs;
        suite.project.editApp(
            "flask_app/__init__.py",
            '"Hello again from Flask!"',
            '"Hello once more!"',
        );
        await suite.stack.setConfig("flask-app:registryPassword", {
            value: "not-the-password",
            secret: true,
        });
        await assert.rejects(suite.stack.up(transcript.opts), (err: Error) => {
            assert.match(err.message, /unauthorized|authentication required|denied/i);
            assert.ok(!err.message.includes(bed.password), "the real password is not printed");
            return true;
        });
        assert.deepStrictEqual(JSON.parse((await httpGet(before.url + "/")).body), {
            message: "Hello again from Flask!",
        });

        await suite.stack.setConfig("flask-app:registryPassword", {
            value: bed.password,
            secret: true,
        });
        await up();
        assert.deepStrictEqual(JSON.parse((await httpGet(outputs.url + "/")).body), {
            message: "Hello once more!",
        });
    });

    it("keeps the registry password out of the stored state and of the engine's logs", () => {
        const state = storedState(suite.project, suite.stack);
        assert.match(state, /"registryPassword"|"password"/, "the state has the field");
        for (const [where, text] of [
            ["state", state],
            ["engine logs", transcript.text],
        ]) {
            for (const form of secretForms(bed.username, bed.password)) {
                assert.ok(!text.includes(form), `the password is not in the ${where}`);
            }
        }
    });

    it("leaves no container behind after destroy", async () => {
        const container = outputs.container;
        await suite.stack.destroy(transcript.opts);
        assert.strictEqual(
            docker("ps", "--all", "--quiet", "--filter", `name=^/${container}$`),
            "",
        );
    });
});
