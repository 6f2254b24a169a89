// The app's image on a real Docker Engine and an authenticated registry: built from app/ with the
// test bed's base image and package index, run with exactly the container settings the docker
// target computes, pushed with credentials and run by digest.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";

import { buildAppImage, docker, runHardened } from "../../tools/testbed/docker";
import { freePort, httpGet } from "../../tools/testbed/http";
import { ProjectCopy } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { registryDigest } from "../support/registry";

const needs: SuiteNeeds = { timeoutMinutes: 10 };

e2eSuite("the app image, on a real Docker Engine and registry", needs, () => {
    const bed = testBed();
    const repository = `e2e/image-${crypto.randomBytes(3).toString("hex")}`;
    const image = `${bed.registry}/${repository}`;
    const containers: string[] = [];
    let project: ProjectCopy;
    let dockerConfig: string;

    function build(tag: string): string {
        buildAppImage(bed, path.join(project.dir, "app"), `${image}:${tag}`);
        return `${image}:${tag}`;
    }
    // Each test asks for the images it needs, so that any one of them can run alone: `v1` is
    // app/ as it is, `v2` the same with a one-line change. Each is built once, by the first test
    // that asks.
    const built: Partial<Record<"v1" | "v2", string>> = {};
    function imageOf(version: "v1" | "v2"): string {
        if (built[version] === undefined) {
            if (version === "v2") {
                // v1 comes from the app before the change.
                imageOf("v1");
                project.editApp("flask_app/__init__.py", '"Hello from Flask!"', '"Hello again!"');
            }
            built[version] = build(version);
        }
        return built[version];
    }
    const layers = (ref: string): string[] =>
        JSON.parse(docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", ref));

    async function run(ref: string): Promise<{ name: string; url: string }> {
        const name = `flaskapp-e2e-${crypto.randomBytes(3).toString("hex")}`;
        containers.push(name);
        return { name, url: await runHardened(ref, name, await freePort()) };
    }

    before(() => {
        project = new ProjectCopy("flaskapp-e2e-image");
        dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-docker-config-"));
    });

    after(() => {
        for (const name of containers) docker("rm", "--force", name);
        project?.remove();
        fs.rmSync(dockerConfig, { recursive: true, force: true });
    });

    it("serves / and the health route under the docker target's hardening", async () => {
        const { name, url } = await run(imageOf("v1"));
        assert.deepStrictEqual(JSON.parse((await httpGet(url + "/")).body), {
            message: "Hello from Flask!",
        });
        assert.strictEqual((await httpGet(url + "/healthz")).status, 200);
        assert.strictEqual(docker("exec", name, "id", "-u"), "10001");
        assert.throws(() => docker("exec", name, "touch", "/app/written"), /Read-only file system/);
        assert.match(docker("exec", name, "grep", "CapEff", "/proc/1/status"), /CapEff:\s+0{16}$/);
        const inspect = JSON.parse(docker("inspect", name))[0];
        assert.strictEqual(inspect.HostConfig.Memory, 256 * 1024 * 1024);
        assert.strictEqual(inspect.HostConfig.NanoCpus, 500_000_000);
    });

    it("reuses every layer but the app's own after a one-line change", () => {
        const before = layers(imageOf("v1"));
        const after = layers(imageOf("v2"));
        assert.strictEqual(after.length, before.length);
        assert.deepStrictEqual(
            after.slice(0, -1),
            before.slice(0, -1),
            "dependency layers are reused",
        );
        assert.notStrictEqual(after.at(-1), before.at(-1), "the app's layer is new");
    });

    it("pushes with the registry's credentials and runs by the pushed digest", async () => {
        const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
        execFileSync(
            "docker",
            ["login", "--username", bed.username, "--password-stdin", bed.registry],
            {
                env,
                input: bed.password,
                stdio: ["pipe", "ignore", "pipe"],
            },
        );
        const v2 = imageOf("v2");
        execFileSync("docker", ["push", "--quiet", v2], { env, stdio: "ignore" });
        const repoDigests: string[] = JSON.parse(
            docker("image", "inspect", "--format", "{{json .RepoDigests}}", v2),
        );
        const pinned = repoDigests.find((d) => d.startsWith(`${image}@sha256:`));
        assert.ok(pinned, `a repo digest for ${image}`);
        assert.strictEqual(await registryDigest(bed, repository, "v2"), pinned.split("@")[1]);

        const { url } = await run(pinned);
        assert.deepStrictEqual(JSON.parse((await httpGet(url + "/")).body), {
            message: "Hello again!",
        });
    });

    it("refuses a wrong password with a clear message", () => {
        const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
        assert.throws(
            () =>
                execFileSync(
                    "docker",
                    ["login", "--username", bed.username, "--password-stdin", bed.registry],
                    {
                        env,
                        input: "not-the-password",
                        stdio: ["pipe", "ignore", "pipe"],
                    },
                ),
            (err: { stderr: Buffer }) => {
                assert.match(err.stderr.toString(), /unauthorized|incorrect username or password/i);
                return true;
            },
        );
    });
});
