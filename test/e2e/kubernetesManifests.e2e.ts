// The kubernetes target's manifests on a real API server (etcd, kube-apiserver, controller
// manager, scheduler) with kwok nodes: applied as the component computes them, read back
// through the API, admitted under Pod Security "restricted", rolled out and updated.
import * as assert from "assert";
import * as crypto from "crypto";
import { setTimeout as sleep } from "timers/promises";

import { KubernetesObjects } from "../../components/kubernetes";
import { promiseOf } from "../../tools/testbed/promiseOf";
import { testBed } from "../../tools/testbed/testBed";
import { kubernetesObjectsOf, withKinds } from "../../tools/testbed/targets";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { kubectl as run, kubectlJson } from "../support/kubernetes";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../support/restricted";

const needs: SuiteNeeds = { timeoutMinutes: 5 };

e2eSuite("the kubernetes manifests, on a real API server", needs, () => {
    const bed = testBed();
    const kubectl = (args: string[], input?: string) => run(bed, args, input);
    const getJson = (...args: string[]) => kubectlJson(bed, ...args);

    const namespace = `e2e-${crypto.randomBytes(3).toString("hex")}`;
    const repository = "127.0.0.1:5000/e2e/web";
    const digest = (fill: string) => `${repository}@sha256:${fill.repeat(64)}`;
    const envSecretName = "web-env";
    // What the component registers, computed by the same function; the env Secret has the name
    // Pulumi would give it.
    const objectsFor = (replicas: number, imageRef: string): KubernetesObjects =>
        kubernetesObjectsOf(
            {
                image: { repository },
                registry: { username: "ci", password: "hunter2" },
                secretEnv: { API_KEY: "s3cret" },
                kubernetes: { namespace, createNamespace: true, replicas },
            },
            imageRef,
        );

    /** Applies every object, as the component would register them, and waits for the rollout. */
    async function applyAll(objects: KubernetesObjects) {
        for (const object of withKinds(objects)) {
            kubectl(
                ["apply", "--validate=strict", "-f", "-"],
                JSON.stringify(await promiseOf(object)),
            );
        }
        kubectl(["rollout", "status", "deployment/web", "-n", namespace, "--timeout=120s"]);
    }
    const replicaSets = () =>
        getJson("replicasets", "-n", namespace, "-l", "app.kubernetes.io/instance=web").items as {
            metadata: { name: string };
            spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
        }[];

    before(async () => {
        await applyAll(objectsFor(2, digest("1")));
    });

    after(() => {
        kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
    });

    it('enforces Pod Security "restricted" in the namespace, and admits the app\'s pods', () => {
        const labels = getJson("namespace", namespace).metadata.labels;
        assert.strictEqual(labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.throws(
            () =>
                kubectl([
                    "run",
                    "unhardened",
                    "-n",
                    namespace,
                    "--image",
                    digest("2"),
                    "--restart=Never",
                ]),
            /violates PodSecurity "restricted:latest"/,
        );
        const pods = getJson("pods", "-n", namespace, "-l", "app.kubernetes.io/instance=web").items;
        assert.strictEqual(pods.length, 2);
    });

    it("makes the Deployment Available with the requested replicas", () => {
        const deployment = getJson("deployment", "web", "-n", namespace);
        assert.strictEqual(deployment.status.availableReplicas, 2);
        const available = deployment.status.conditions.find(
            (c: { type: string }) => c.type === "Available",
        );
        assert.strictEqual(available.status, "True");
    });

    it("stores the digest, limits, probes and securityContext that were sent", () => {
        const pod = getJson("deployment", "web", "-n", namespace).spec.template.spec;
        const [container] = pod.containers;
        assert.strictEqual(container.image, digest("1"));
        assert.deepStrictEqual(container.resources, {
            requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
            limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "256Mi" },
        });
        for (const [probe, period, failures] of [
            ["startupProbe", 2, 30],
            ["readinessProbe", 5, 3],
            ["livenessProbe", 10, 6],
        ] as const) {
            assert.deepStrictEqual(container[probe].httpGet, {
                path: "/healthz",
                port: "http",
                scheme: "HTTP",
            });
            assert.strictEqual(container[probe].periodSeconds, period);
            assert.strictEqual(container[probe].failureThreshold, failures);
        }
        assert.deepStrictEqual(container.securityContext, restrictedContainerSecurityContext);
        assert.deepStrictEqual(pod.securityContext, restrictedPodSecurityContext);
        assert.deepStrictEqual(pod.imagePullSecrets, [{ name: "web-registry" }]);
        assert.strictEqual(
            container.env.find((e: { name: string }) => e.name === "API_KEY"),
            undefined,
            "secret values are files, not variables",
        );
        assert.deepStrictEqual(pod.volumes.find((v: { name: string }) => v.name === "env").secret, {
            secretName: envSecretName,
            defaultMode: 0o400,
        });
    });

    it("keeps the NetworkPolicy and the PodDisruptionBudget on the app's pods", () => {
        const policy = getJson("networkpolicy", "web", "-n", namespace).spec;
        assert.deepStrictEqual(policy.policyTypes, ["Ingress", "Egress"]);
        const budget = getJson("poddisruptionbudget", "web", "-n", namespace);
        assert.strictEqual(budget.status.expectedPods, 2);
        assert.strictEqual(budget.status.disruptionsAllowed, 1);
    });

    it("keeps the pull Secret's payload a valid docker config for the registry", () => {
        const secret = getJson("secret", "web-registry", "-n", namespace);
        assert.strictEqual(secret.type, "kubernetes.io/dockerconfigjson");
        const config = JSON.parse(
            Buffer.from(secret.data[".dockerconfigjson"], "base64").toString(),
        );
        assert.deepStrictEqual(Object.keys(config.auths), ["127.0.0.1:5000"]);
    });

    it("routes the Service to every ready pod", async () => {
        for (let i = 0; i < 30; i++) {
            const slices = getJson(
                "endpointslices",
                "-n",
                namespace,
                "-l",
                "kubernetes.io/service-name=web",
            );
            const ready = slices.items
                .flatMap(
                    (s: { endpoints?: { conditions: { ready: boolean } }[] }) => s.endpoints ?? [],
                )
                .filter((e: { conditions: { ready: boolean } }) => e.conditions.ready);
            if (ready.length === 2) return;
            await sleep(1000);
        }
        assert.fail("the Service never had 2 ready endpoints");
    });

    it("rolls a new digest out as a new ReplicaSet and scales the old one to 0", async () => {
        await applyAll(objectsFor(2, digest("3")));
        const sets = replicaSets();
        assert.strictEqual(sets.length, 2);
        const byImage = (fill: string) =>
            sets.find((rs) => rs.spec.template.spec.containers[0].image === digest(fill));
        assert.strictEqual(byImage("1")?.spec.replicas, 0);
        assert.strictEqual(byImage("3")?.spec.replicas, 2);
    });

    it("changes replicas in place, without a new ReplicaSet", async () => {
        const before = replicaSets()
            .map((rs) => rs.metadata.name)
            .sort();
        await applyAll(objectsFor(3, digest("3")));
        const after = replicaSets();
        assert.deepStrictEqual(after.map((rs) => rs.metadata.name).sort(), before);
        assert.strictEqual(
            getJson("deployment", "web", "-n", namespace).status.availableReplicas,
            3,
        );
    });
});
