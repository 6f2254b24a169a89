// The kubernetes target at scale on kwok: 200 replicas through the real Pulumi engine and API
// server, placed on two kwok nodes this suite adds (labelled and tainted for it alone, so that
// other suites' pods never land there and its own land nowhere else). Prints the times for
// BENCHMARKS.md: the first `up`, a no-op preview, and a rollout of a new image. Runs only with
// FLASKAPP_E2E_SCALE=1.
import * as assert from "assert";
import * as crypto from "crypto";

import { configureKubernetesStack } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { kubectl, kubectlJson } from "../support/kubernetes";
import { EngineTranscript, changes, useStack } from "../support/stack";
import { kubernetesTargetPlugins } from "./plugins";

const needs: SuiteNeeds = {
    plugins: kubernetesTargetPlugins,
    // About 4 minutes on two loaded cores: run on request, not in every CI run.
    parts: { FLASKAPP_E2E_SCALE: "set it to 1 to measure 200 replicas" },
    timeoutMinutes: 30,
};

e2eSuite("kubernetes target, 200 replicas on kwok", needs, () => {
    const replicas = 200;
    const awaitTimeoutSeconds = 600;
    const bed = testBed();
    const id = crypto.randomBytes(3).toString("hex");
    const namespace = `e2e-scale-${id}`;
    const repository = `e2e/flask-app-${id}`;
    const pool = `scale-${id}`;
    // A kwok node holds 110 pods, as a kubelet does by default.
    const nodes = [0, 1].map((i) => `flaskapp-${pool}-${i}`);
    const transcript = new EngineTranscript();

    const seconds = async (run: () => Promise<unknown>) => {
        const started = Date.now();
        await run();
        return (Date.now() - started) / 1000;
    };
    const available = () =>
        kubectlJson(bed, "-n", namespace, "deployment", "flask-app").status.availableReplicas;

    before(() => {
        for (const name of nodes) {
            kubectl(
                bed,
                ["create", "-f", "-"],
                JSON.stringify({
                    apiVersion: "v1",
                    kind: "Node",
                    metadata: {
                        name,
                        // The kwok controller manages the nodes that carry this annotation.
                        annotations: { "kwok.x-k8s.io/node": "fake" },
                        labels: { "flaskapp.dev/node": pool, type: "kwok" },
                    },
                    spec: {
                        taints: [{ key: "flaskapp.dev/node", value: pool, effect: "NoSchedule" }],
                    },
                    status: {
                        allocatable: {
                            cpu: "32",
                            memory: "256Gi",
                            pods: "110",
                            "ephemeral-storage": "100Gi",
                        },
                        capacity: {
                            cpu: "32",
                            memory: "256Gi",
                            pods: "110",
                            "ephemeral-storage": "100Gi",
                        },
                    },
                }),
            );
        }
    });
    const suite = useStack("scale", {
        configure: async (stack) => {
            await configureKubernetesStack(stack, bed, repository, namespace, {
                replicas,
                awaitTimeoutSeconds,
            });
            const path = (key: string, value: string) =>
                stack.setConfig(`flask-app:${key}`, { value }, true);
            await path(`nodeSelector["flaskapp.dev/node"]`, pool);
            await path("tolerations[0].key", "flaskapp.dev/node");
            await path("tolerations[0].value", pool);
            await path("tolerations[0].effect", "NoSchedule");
        },
        cleanUp: () => {
            kubectl(bed, ["delete", "node", ...nodes, "--ignore-not-found"]);
        },
    });

    it(`creates ${replicas} available replicas within the await timeout`, async () => {
        const took = await seconds(() => suite.stack.up(transcript.opts));
        console.log(`      first up (build, push, ${replicas} replicas): ${took.toFixed(1)} s`);
        assert.strictEqual(available(), replicas);
        assert.ok(took < awaitTimeoutSeconds);
    });

    it("previews no change, quickly", async () => {
        let summary;
        const took = await seconds(async () => {
            summary = (await suite.stack.preview(transcript.opts)).changeSummary;
        });
        console.log(`      no-op preview: ${took.toFixed(1)} s`);
        assert.deepStrictEqual(changes(summary), {});
    });

    it(`rolls ${replicas} replicas to a new image within the await timeout`, async () => {
        suite.project.editApp("flask_app/__init__.py", '"Hello from Flask!"', '"Hello again!"');
        let changed;
        const took = await seconds(async () => {
            changed = changes((await suite.stack.up(transcript.opts)).summary.resourceChanges);
        });
        console.log(
            `      rollout up (build, push, ${replicas} replicas replaced): ${took.toFixed(1)} s`,
        );
        assert.deepStrictEqual(changed, { update: 2 });
        assert.strictEqual(available(), replicas);
    });
});
