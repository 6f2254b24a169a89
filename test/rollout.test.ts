// Zero-downtime rollouts and placement: the relations between the shutdown settings of both
// targets and the app server's drain, asserted for several request timeouts rather than as
// retyped numbers.
import "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { FlaskAppArgs, argsFromConfig } from "../components";
import { dockerContainerOf, kubernetesObjectsOf } from "../tools/testbed/targets";

const k8sBase: FlaskAppArgs = {
    target: "kubernetes",
    image: { repository: "localhost:5000/flask-app" },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function podSpec(args: FlaskAppArgs): any {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (kubernetesObjectsOf(args).deployment as any).spec.template;
}

/** What the server reads from its environment: WEB_GRACEFUL_TIMEOUT defaults to WEB_TIMEOUT. */
function serverDrainSeconds(env: { name: string; value?: string }[]): number {
    const byName = Object.fromEntries(env.map((e) => [e.name, e.value]));
    return Number(byName.WEB_GRACEFUL_TIMEOUT ?? byName.WEB_TIMEOUT);
}

describe("zero-downtime rollouts", () => {
    for (const requestTimeoutSeconds of [1, 30, 300]) {
        describe(`with requestTimeoutSeconds ${requestTimeoutSeconds}`, () => {
            it("gives a Kubernetes pod its preStop sleep and the server's whole drain before SIGKILL", () => {
                const { spec } = podSpec({ ...k8sBase, requestTimeoutSeconds });
                const [container] = spec.containers;
                const [, , , drainCommand, seconds] = container.lifecycle.preStop.exec.command;
                assert.strictEqual(drainCommand, "drain");
                const preStop = Number(seconds);
                const drain = serverDrainSeconds(container.env);
                assert.strictEqual(drain, requestTimeoutSeconds);
                assert.ok(preStop >= 1, "endpoints get time to drop the pod before SIGTERM");
                assert.ok(
                    spec.terminationGracePeriodSeconds > preStop + drain,
                    `grace ${spec.terminationGracePeriodSeconds}s leaves the server time to exit after a ${preStop}s sleep and a ${drain}s drain`,
                );
                assert.deepStrictEqual(
                    container.lifecycle.preStop.exec.command.slice(0, 3),
                    ["python", "-m", "server"],
                    "the bundled server marks its drain with the image's own Python: no shell",
                );
            });

            it("gives another app's image the kubelet's sleep action, which needs nothing in it", () => {
                const appPath = fs.mkdtempSync(path.join(os.tmpdir(), "other-app-"));
                fs.writeFileSync(path.join(appPath, "Dockerfile"), "FROM scratch\n");
                const { spec } = podSpec({ ...k8sBase, appPath, requestTimeoutSeconds });
                const { preStop } = spec.containers[0].lifecycle;
                assert.ok(preStop.sleep.seconds >= 1, JSON.stringify(preStop));
                assert.ok(
                    spec.terminationGracePeriodSeconds >
                        preStop.sleep.seconds + requestTimeoutSeconds,
                );
            });

            it("lets Docker wait for the server's drain when it stops or replaces the container", async () => {
                const args = dockerContainerOf({
                    image: { repository: "localhost:5000/flask-app" },
                    requestTimeoutSeconds,
                });
                const env = (await new Promise<string[]>((resolve) =>
                    pulumi.output(args.envs!).apply(resolve),
                )) as string[];
                const drain = serverDrainSeconds(
                    env.map((line) => {
                        const [name, ...rest] = line.split("=");
                        return { name, value: rest.join("=") };
                    }),
                );
                assert.strictEqual(drain, requestTimeoutSeconds);
                assert.ok((args.stopTimeout as number) > drain, "docker stop outlasts the drain");
                assert.ok(
                    (args.destroyGraceSeconds as number) >= (args.stopTimeout as number),
                    "pulumi's delete stops the container gracefully, never with force first",
                );
            });
        });
    }

    it("keeps full capacity while rolling: no pod goes before its replacement is Ready", () => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const manifest = kubernetesObjectsOf(k8sBase).deployment as any;
        const rolling = manifest.spec.strategy as {
            type: string;
            rollingUpdate: { maxUnavailable: number; maxSurge: number };
        };
        assert.strictEqual(rolling.type, "RollingUpdate");
        assert.strictEqual(rolling.rollingUpdate.maxUnavailable, 0);
        assert.ok(rolling.rollingUpdate.maxSurge >= 1);
        const [container] = podSpec(k8sBase).spec.containers;
        assert.ok(container.readinessProbe.httpGet, "a pod takes traffic only once it answers");
    });
});

describe("placement", () => {
    const selector = { "flaskapp.dev/node": "real" };
    const toleration = {
        key: "flaskapp.dev/node",
        operator: "Equal" as const,
        value: "real",
        effect: "NoSchedule" as const,
    };

    it("puts the node selector and tolerations on the pods", () => {
        const { spec } = podSpec({
            ...k8sBase,
            kubernetes: { nodeSelector: selector, tolerations: [toleration] },
        });
        assert.deepStrictEqual(spec.nodeSelector, selector);
        assert.deepStrictEqual(spec.tolerations, [toleration]);
    });

    it("leaves both out by default, so that the scheduler may use any node", () => {
        const { spec } = podSpec(k8sBase);
        assert.strictEqual(spec.nodeSelector, undefined);
        assert.strictEqual(spec.tolerations, undefined);
    });

    it("reads both from stack config", () => {
        pulumi.runtime.setAllConfig({
            "flask-app:nodeSelector": JSON.stringify(selector),
            "flask-app:tolerations": JSON.stringify([toleration]),
        });
        try {
            const args = argsFromConfig(new pulumi.Config("flask-app"));
            assert.deepStrictEqual(args.kubernetes?.nodeSelector, selector);
            assert.deepStrictEqual(args.kubernetes?.tolerations, [toleration]);
        } finally {
            pulumi.runtime.setAllConfig({});
        }
    });
});
