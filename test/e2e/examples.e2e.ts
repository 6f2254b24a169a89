// The consumer stack in examples/consumer, with this project installed as a package the way
// another team installs it (a packed tarball, its own node_modules): one app per target in one
// stack, on the real engine, Docker Engine, registry and the test bed's cluster. The tests are
// the steps of one stack's life and run in order.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";

import { docker } from "../../tools/testbed/docker";
import { freePort, httpGet } from "../../tools/testbed/http";
import { repoRoot } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { kubectlJson } from "../support/kubernetes";
import { changes, useStack } from "../support/stack";
import { kubernetesTargetPlugins } from "./plugins";

const needs: SuiteNeeds = { plugins: kubernetesTargetPlugins, timeoutMinutes: 20 };

e2eSuite("the example consumer stack, with the package installed from its tarball", needs, () => {
    const bed = testBed();
    const namespace = `e2e-consumer-${crypto.randomBytes(3).toString("hex")}`;
    let hostPort: number;

    const suite = useStack("consumer", {
        source: path.join(repoRoot, "examples", "consumer"),
        ownDependencies: true,
        prepare: (project) => {
            const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-pack-"));
            const tarball = execFileSync(
                "npm",
                ["pack", "--silent", "--pack-destination", packDir],
                { cwd: repoRoot, encoding: "utf8" },
            ).trim();
            execFileSync(
                "npm",
                [
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefer-offline",
                    path.join(packDir, tarball),
                ],
                { cwd: project.dir, stdio: "ignore" },
            );
            fs.rmSync(packDir, { recursive: true, force: true });
        },
        configure: async (stack) => {
            hostPort = await freePort();
            const key = (name: string) => `flask-app-consumer:${name}`;
            await stack.setAllConfig({
                [key("imageRepository")]: {
                    value: `${bed.registry}/e2e/consumer-${crypto.randomBytes(3).toString("hex")}`,
                },
                [key("registryUsername")]: { value: bed.username },
                [key("registryPassword")]: { value: bed.password, secret: true },
                [key("hostPort")]: { value: String(hostPort) },
                [key("namespace")]: { value: namespace },
                [key("kubeconfig")]: {
                    value: fs.readFileSync(bed.kubeconfig, "utf8"),
                    secret: true,
                },
            });
            // An object key is set one path at a time.
            const buildArgs = {
                BASE_IMAGE: bed.baseImage,
                PIP_INDEX_URL: bed.pipIndexUrl,
                PIP_TRUSTED_HOST: bed.pipTrustedHost,
            };
            for (const [arg, value] of Object.entries(buildArgs)) {
                if (value) await stack.setConfig(key(`buildArgs.${arg}`), { value }, true);
            }
        },
    });

    it("imports the package from its own node_modules, not from this checkout", () => {
        const installed = path.join(suite.project.dir, "node_modules", "@flaskapp", "pulumi-flask");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink());
        assert.ok(fs.existsSync(path.join(installed, "bin", "components", "index.js")));
        assert.ok(fs.existsSync(path.join(installed, "app", "Dockerfile")));
    });

    it("runs both apps: the container answers and the Deployment is Available", async () => {
        const result = await suite.stack.up();
        const webUrl = result.outputs.webUrl.value;
        assert.strictEqual(webUrl, `http://127.0.0.1:${hostPort}`);
        assert.deepStrictEqual(JSON.parse((await httpGet(webUrl + "/")).body), {
            message: "Hello from the web app",
        });
        const deployment = kubectlJson(bed, "-n", namespace, "deployment", "api");
        assert.strictEqual(deployment.status.availableReplicas, 2);
        assert.strictEqual(
            deployment.spec.template.spec.containers[0].image,
            result.outputs.apiImage.value,
        );
        assert.strictEqual(
            kubectlJson(bed, "-n", namespace, "service", "api").spec.type,
            "NodePort",
        );
    });

    it("previews no change straight after up", async () => {
        const preview = await suite.stack.preview();
        assert.deepStrictEqual(changes(preview.changeSummary), {});
    });

    it("destroys both apps", async () => {
        await suite.stack.destroy();
        assert.strictEqual(
            docker("ps", "--all", "--quiet", "--filter", "name=^/web-container"),
            "",
        );
        assert.throws(() => kubectlJson(bed, "namespace", namespace), /NotFound|not found/);
    });
});
