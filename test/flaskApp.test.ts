import { children, isSecretInput, one, promiseOf, reset, reveal, registered } from "./mocks";

import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

import { FlaskApp, FlaskAppArgs } from "../components";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./support/restricted";

const IMAGE = "docker:index/image:Image";
const CONTAINER = "docker:index/container:Container";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const NETWORK = "docker:index/network:Network";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget";

const labels = {
    "app.kubernetes.io/name": "flask-app",
    "app.kubernetes.io/instance": "web",
    "app.kubernetes.io/component": "web",
    "app.kubernetes.io/managed-by": "pulumi",
};
const selector = { "app.kubernetes.io/name": "flask-app", "app.kubernetes.io/instance": "web" };

/** Creates a FlaskApp and waits until every child is registered. */
async function deploy(
    args: FlaskAppArgs,
    name = "web",
    opts?: pulumi.ComponentResourceOptions,
): Promise<FlaskApp> {
    const app = new FlaskApp(name, args, opts);
    const children = [app.image, ...Object.values({ ...app.docker, ...app.kubernetes })];
    await promiseOf(
        pulumi.all([app.imageRef, app.url, app.externalUrl, ...children.map((c) => c?.urn)]),
    );
    return app;
}

const base: FlaskAppArgs = { image: { repository: "localhost:5000/flask-app" } };

describe("FlaskApp", () => {
    beforeEach(reset);

    describe("image", () => {
        it("builds the bundled app for linux/amd64 and pushes it to the repository", async () => {
            await deploy(base);
            const image = one(IMAGE).inputs;
            assert.strictEqual(image.imageName, "localhost:5000/flask-app:latest");
            assert.deepStrictEqual(image.build, {
                context: "app",
                dockerfile: "app/Dockerfile",
                platform: "linux/amd64",
                args: {},
            });
            assert.deepStrictEqual(image.registry, { server: "localhost:5000" });
        });

        it("passes build arguments through to the Dockerfile", async () => {
            await deploy({
                image: {
                    repository: "localhost:5000/flask-app",
                    tag: "v1",
                    platform: "linux/arm64",
                    buildArgs: {
                        BASE_IMAGE: "mirror/python:3.14-slim",
                        PIP_INDEX_URL: "http://pypi.internal/simple",
                    },
                },
            });
            const image = one(IMAGE).inputs;
            assert.strictEqual(image.imageName, "localhost:5000/flask-app:v1");
            assert.strictEqual(image.build.platform, "linux/arm64");
            assert.deepStrictEqual(image.build.args, {
                BASE_IMAGE: "mirror/python:3.14-slim",
                PIP_INDEX_URL: "http://pypi.internal/simple",
            });
        });

        it("puts registry.server in front of a repository that names no registry", async () => {
            await deploy({
                image: { repository: "team/app" },
                registry: { server: "registry.example.com" },
            });
            assert.strictEqual(one(IMAGE).inputs.imageName, "registry.example.com/team/app:latest");
        });

        it("keeps the registry password secret", async () => {
            await deploy({ ...base, registry: { username: "ci", password: "hunter2" } });
            // Secretness covers the whole property that holds a secret value.
            const registry = one(IMAGE).inputs.registry;
            assert.ok(isSecretInput(registry), "registry credentials are passed as a secret");
            assert.deepStrictEqual(reveal(registry), {
                server: "localhost:5000",
                username: "ci",
                password: "hunter2",
            });
        });
    });

    describe('target "docker"', () => {
        it("creates only the image, a network and the container on it", async () => {
            const app = await deploy(base);
            assert.deepStrictEqual(
                children()
                    .map((r) => `${r.type} ${r.name}`)
                    .sort(),
                [`${CONTAINER} web-container`, `${IMAGE} web-image`, `${NETWORK} web-network`],
            );
            assert.strictEqual(
                one(CONTAINER).inputs.networkMode,
                await promiseOf(app.docker!.network.name),
            );
        });

        it("keeps other containers away: inter-container traffic off on its network", async () => {
            await deploy(base);
            assert.deepStrictEqual(one(NETWORK).inputs.options, {
                "com.docker.network.bridge.enable_icc": "false",
            });
        });

        it("bounds the processes of the app's user, and the size of its log", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.deepStrictEqual(container.ulimits, [{ name: "nproc", soft: 1024, hard: 1024 }]);
            assert.strictEqual(container.logDriver, "json-file");
            assert.deepStrictEqual(container.logOpts, { "max-size": "10m", "max-file": "3" });
        });

        it("pins the container image to the pushed digest", async () => {
            const app = await deploy(base);
            const ref = await promiseOf(app.imageRef);
            assert.match(ref, /^localhost:5000\/flask-app@sha256:[0-9a-f]{64}$/);
            assert.strictEqual(one(CONTAINER).inputs.image, ref);
        });

        it("publishes the app on 127.0.0.1:8080 only", async () => {
            const app = await deploy(base);
            assert.deepStrictEqual(one(CONTAINER).inputs.ports, [
                { internal: 8000, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
            ]);
            assert.strictEqual(await promiseOf(app.url), "http://127.0.0.1:8080");
        });

        it("publishes on the host address and port asked for", async () => {
            const app = await deploy({ ...base, docker: { hostAddress: "::1", hostPort: 9090 } });
            assert.deepStrictEqual(one(CONTAINER).inputs.ports, [
                { internal: 8000, external: 9090, ip: "::1", protocol: "tcp" },
            ]);
            assert.strictEqual(await promiseOf(app.url), "http://[::1]:9090");
        });

        it("limits memory, swap and CPU", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.memory, 256);
            assert.strictEqual(container.memorySwap, 256);
            assert.strictEqual(container.cpus, "0.5");
        });

        it("applies the memory and CPU limits asked for", async () => {
            await deploy({
                ...base,
                resources: { cpuLimit: "1500m", memoryLimit: "1Gi", memoryRequest: "512Mi" },
            });
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.memory, 1024);
            assert.strictEqual(container.cpus, "1.5");
        });

        it("runs as non-root on a read-only root filesystem with no capabilities", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.user, "10001:10001");
            assert.strictEqual(container.readOnly, true);
            assert.deepStrictEqual(container.tmpfs, { "/tmp": "rw,noexec,nosuid,size=64m" });
            assert.deepStrictEqual(container.capabilities, { drops: ["ALL"] });
            assert.deepStrictEqual(container.securityOpts, ["no-new-privileges:true"]);
        });

        it("checks the health route and waits for the container to be healthy", async () => {
            await deploy({ ...base, healthPath: "/ready", docker: { healthyTimeoutSeconds: 90 } });
            const container = one(CONTAINER).inputs;
            assert.deepStrictEqual(container.healthcheck, {
                tests: [
                    "CMD",
                    "python3",
                    "-I",
                    "-S",
                    "-c",
                    'import socket; s = socket.create_connection(("127.0.0.1", 8000), 2); ' +
                        's.sendall("GET /ready HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n".encode()); ' +
                        'raise SystemExit(s.recv(12)[9:10] not in (b"2", b"3"))',
                ],
                interval: "2s",
                timeout: "3s",
                startPeriod: "30s",
                retries: 3,
            });
            assert.strictEqual(container.wait, true);
            assert.strictEqual(container.waitTimeout, 90);
        });

        it("runs exactly the image unless live update is on", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.mounts, undefined);
            assert.ok(!container.envs.some((line: string) => line.startsWith("WEB_RELOAD=")));
        });

        it("with live update, mounts the app folder read-only over /app and turns reload on", async () => {
            await deploy({ ...base, appPath: "app", docker: { liveUpdate: true } });
            const container = one(CONTAINER).inputs;
            assert.deepStrictEqual(container.mounts, [
                { type: "bind", source: path.resolve("app"), target: "/app", readOnly: true },
            ]);
            assert.deepStrictEqual(container.envs.slice(-2), [
                "WEB_HEALTH_PATH=/healthz",
                "WEB_RELOAD=1",
            ]);
            // Everything else is as hardened as without it.
            assert.strictEqual(container.readOnly, true);
            assert.strictEqual(container.user, "10001:10001");
        });

        it("restarts unless stopped and carries the standard labels", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.restart, "unless-stopped");
            assert.deepStrictEqual(
                container.labels,
                Object.entries(labels).map(([label, value]) => ({ label, value })),
            );
        });

        it("sets the app server's environment and the app's, sorted", async () => {
            await deploy({ ...base, workers: 4, env: { GREETING: "hi", APP_MODE: "prod" } });
            const envs = one(CONTAINER).inputs.envs;
            assert.ok(!isSecretInput(envs), "no secret value, so the list stays readable");
            assert.deepStrictEqual(envs, [
                "APP_MODE=prod",
                "GREETING=hi",
                "PORT=8000",
                "WEB_CONCURRENCY=4",
                "WEB_TIMEOUT=30",
            ]);
        });

        it("keeps the environment secret when it holds a secret value", async () => {
            await deploy({ ...base, env: { GREETING: "hi" }, secretEnv: { API_KEY: "s3cret" } });
            const envs = one(CONTAINER).inputs.envs;
            assert.ok(isSecretInput(envs), "envs is passed as a secret");
            assert.deepStrictEqual(reveal(envs), [
                "API_KEY=s3cret",
                "GREETING=hi",
                "PORT=8000",
                "WEB_CONCURRENCY=2",
                "WEB_TIMEOUT=30",
            ]);
        });

        it("exposes its children, and no external URL", async () => {
            const app = await deploy(base);
            assert.match(await promiseOf(app.docker!.container.urn), /::web-container$/);
            assert.match(await promiseOf(app.image.urn), /::web-image$/);
            assert.strictEqual(app.kubernetes, undefined);
            assert.strictEqual(await promiseOf(app.externalUrl), undefined);
        });
    });

    describe('target "kubernetes"', () => {
        const k8sBase: FlaskAppArgs = { ...base, target: "kubernetes" };

        it("creates the image, Deployment, Service, NetworkPolicy and PodDisruptionBudget, and no Namespace unless asked", async () => {
            await deploy(k8sBase);
            assert.deepStrictEqual(
                children()
                    .map((r) => `${r.type} ${r.name}`)
                    .sort(),
                [
                    `${IMAGE} web-image`,
                    `${DEPLOYMENT} web-deployment`,
                    `${SERVICE} web-service`,
                    `${NETWORK_POLICY} web-network-policy`,
                    `${DISRUPTION_BUDGET} web-disruption-budget`,
                ],
            );
        });

        it('creates a Namespace that enforces Pod Security "restricted" when asked', async () => {
            await deploy({ ...k8sBase, kubernetes: { namespace: "shop", createNamespace: true } });
            assert.deepStrictEqual(one(NAMESPACE).inputs.metadata, {
                name: "shop",
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            });
            assert.strictEqual(one(DEPLOYMENT).inputs.metadata.namespace, "shop");
            assert.strictEqual(one(SERVICE).inputs.metadata.namespace, "shop");
        });

        it("deploys the pushed digest", async () => {
            const app = await deploy(k8sBase);
            const [container] = one(DEPLOYMENT).inputs.spec.template.spec.containers;
            assert.strictEqual(container.image, await promiseOf(app.imageRef));
            assert.match(container.image, /@sha256:[0-9a-f]{64}$/);
        });

        it("takes a pod out of the Service quickly, and restarts it only when it stays stuck", async () => {
            await deploy(k8sBase);
            const [container] = one(DEPLOYMENT).inputs.spec.template.spec.containers;
            const probe = (
                periodSeconds: number,
                timeoutSeconds: number,
                failureThreshold: number,
            ) => ({
                httpGet: { path: "/healthz", port: "http" },
                periodSeconds,
                timeoutSeconds,
                failureThreshold,
            });
            assert.deepStrictEqual(container.startupProbe, probe(2, 2, 30));
            assert.deepStrictEqual(container.readinessProbe, probe(5, 2, 3));
            assert.deepStrictEqual(container.livenessProbe, probe(10, 5, 6));
        });

        it("runs the pod under a restricted securityContext, with no service account token", async () => {
            await deploy(k8sBase);
            const pod = one(DEPLOYMENT).inputs.spec.template.spec;
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.strictEqual(pod.enableServiceLinks, false);
            assert.deepStrictEqual(pod.securityContext, restrictedPodSecurityContext);
            assert.deepStrictEqual(
                pod.containers[0].securityContext,
                restrictedContainerSecurityContext,
            );
        });

        it("bounds the local disk a pod may use", async () => {
            await deploy(k8sBase);
            const { resources } = one(DEPLOYMENT).inputs.spec.template.spec.containers[0];
            assert.strictEqual(resources.requests["ephemeral-storage"], "64Mi");
            assert.strictEqual(resources.limits["ephemeral-storage"], "256Mi");
        });

        it("prefers nodes without a replica already, and keeps all but one up through a drain", async () => {
            await deploy(k8sBase);
            const pod = one(DEPLOYMENT).inputs.spec.template.spec;
            assert.deepStrictEqual(pod.affinity.podAntiAffinity, {
                preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                        weight: 100,
                        podAffinityTerm: {
                            labelSelector: { matchLabels: selector },
                            topologyKey: "kubernetes.io/hostname",
                        },
                    },
                ],
            });
            assert.deepStrictEqual(one(DISRUPTION_BUDGET).inputs.spec, {
                selector: { matchLabels: selector },
                maxUnavailable: 1,
            });
        });

        it("lets traffic in to the app's port only, and none out unless allowed", async () => {
            await deploy(k8sBase);
            const policy = one(NETWORK_POLICY).inputs.spec;
            assert.deepStrictEqual(policy.podSelector, { matchLabels: selector });
            assert.deepStrictEqual(policy.policyTypes, ["Ingress", "Egress"]);
            assert.deepStrictEqual(policy.ingress, [
                { ports: [{ port: "http", protocol: "TCP" }] },
            ]);
            assert.deepStrictEqual(policy.egress, []);
            reset();
            await deploy({ ...k8sBase, kubernetes: { allowEgress: true } });
            assert.deepStrictEqual(one(NETWORK_POLICY).inputs.spec.egress, [{}]);
        });

        it("applies replicas, requests and limits asked for", async () => {
            await deploy({
                ...k8sBase,
                resources: {
                    cpuRequest: "250m",
                    cpuLimit: "1",
                    memoryRequest: "256Mi",
                    memoryLimit: "512Mi",
                },
                kubernetes: { replicas: 5 },
            });
            const spec = one(DEPLOYMENT).inputs.spec;
            assert.strictEqual(spec.replicas, 5);
            const { resources } = spec.template.spec.containers[0];
            assert.deepStrictEqual(
                [resources.requests.cpu, resources.requests.memory],
                ["250m", "256Mi"],
            );
            assert.deepStrictEqual([resources.limits.cpu, resources.limits.memory], ["1", "512Mi"]);
        });

        it("keeps the selector the same whatever else changes", async () => {
            await deploy(k8sBase);
            const first = one(DEPLOYMENT).inputs.spec.selector;
            reset();
            await deploy({
                ...k8sBase,
                image: { repository: "localhost:5000/flask-app", tag: "v2" },
                env: { GREETING: "changed" },
                kubernetes: { replicas: 4 },
            });
            assert.deepStrictEqual(one(DEPLOYMENT).inputs.spec.selector, first);
            assert.deepStrictEqual(first, { matchLabels: selector });
        });

        it("exposes the pods through a ClusterIP Service by default", async () => {
            const app = await deploy(k8sBase);
            assert.deepStrictEqual(one(SERVICE).inputs, {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "web", namespace: "default", labels },
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
                },
            });
            assert.strictEqual(await promiseOf(app.url), "http://web.default.svc.cluster.local:80");
            assert.match(await promiseOf(app.kubernetes!.service.urn), /::web-service$/);
            assert.strictEqual(app.docker, undefined);
        });

        it("creates a NodePort Service on the port asked for", async () => {
            await deploy({
                ...k8sBase,
                kubernetes: { serviceType: "NodePort", servicePort: 8080, nodePort: 30080 },
            });
            assert.deepStrictEqual(one(SERVICE).inputs.spec.ports, [
                { name: "http", port: 8080, targetPort: "http", protocol: "TCP", nodePort: 30080 },
            ]);
            assert.strictEqual(one(SERVICE).inputs.spec.type, "NodePort");
        });

        it("creates an image pull Secret from the registry credentials, kept secret", async () => {
            await deploy({ ...k8sBase, registry: { username: "ci", password: "hunter2" } });
            const secret = one(SECRET).inputs;
            assert.deepStrictEqual(secret.metadata, {
                name: "web-registry",
                namespace: "default",
                labels,
            });
            assert.strictEqual(secret.type, "kubernetes.io/dockerconfigjson");
            const config = secret.stringData[".dockerconfigjson"];
            assert.ok(
                isSecretInput(config) || isSecretInput(secret.stringData),
                "payload is a secret",
            );
            const revealed = reveal(reveal(secret.stringData)[".dockerconfigjson"]) as string;
            assert.deepStrictEqual(JSON.parse(revealed), {
                auths: {
                    "localhost:5000": {
                        username: "ci",
                        password: "hunter2",
                        auth: Buffer.from("ci:hunter2").toString("base64"),
                    },
                },
            });
            assert.deepStrictEqual(one(DEPLOYMENT).inputs.spec.template.spec.imagePullSecrets, [
                { name: "web-registry" },
            ]);
        });

        it("puts secret environment values in a Secret, given to the app as files", async () => {
            await deploy({ ...k8sBase, env: { GREETING: "hi" }, secretEnv: { API_KEY: "s3cret" } });
            const secret = one(SECRET);
            assert.strictEqual(secret.name, "web-env");
            assert.strictEqual(secret.inputs.type, "Opaque");
            const data = secret.inputs.stringData;
            assert.ok(isSecretInput(data) || isSecretInput(data.API_KEY), "values are secrets");
            assert.deepStrictEqual(reveal(reveal(data).API_KEY), "s3cret");
            const pod = one(DEPLOYMENT).inputs.spec.template.spec;
            const [container] = pod.containers;
            assert.deepStrictEqual(container.env, [
                { name: "GREETING", value: "hi" },
                { name: "PORT", value: "8000" },
                { name: "WEB_CONCURRENCY", value: "2" },
                { name: "WEB_TIMEOUT", value: "30" },
                { name: "WEB_ENV_DIR", value: "/run/secrets/env" },
            ]);
            assert.deepStrictEqual(container.volumeMounts[1], {
                name: "env",
                mountPath: "/run/secrets/env",
                readOnly: true,
            });
            assert.deepStrictEqual(pod.volumes[1], {
                name: "env",
                secret: { secretName: "web-env-0a1b2c3d", defaultMode: 0o400 },
            });
        });

        it("deploys through a provider made from the kubeconfig, kept secret", async () => {
            await deploy({
                ...k8sBase,
                kubernetes: { kubeconfig: "apiVersion: v1\nkind: Config\n" },
            });
            const provider = one("pulumi:providers:kubernetes");
            assert.strictEqual(provider.name, "web-k8s");
            assert.ok(isSecretInput(provider.inputs.kubeconfig), "kubeconfig is a secret");
            assert.match(one(DEPLOYMENT).provider ?? "", /::web-k8s::/);
            assert.match(one(SERVICE).provider ?? "", /::web-k8s::/);
        });

        it("waits up to awaitTimeoutSeconds for the Deployment and the Service", async () => {
            // Resource options never reach the mocks; a transformation sees them on the way.
            const timeouts: Record<string, unknown> = {};
            await deploy({ ...k8sBase, kubernetes: { awaitTimeoutSeconds: 120 } }, "web", {
                transformations: [
                    (resource) => {
                        timeouts[resource.name] = resource.opts.customTimeouts;
                        return undefined;
                    },
                ],
            });
            const expected = { create: "120s", update: "120s" };
            assert.deepStrictEqual(timeouts["web-deployment"], expected);
            assert.deepStrictEqual(timeouts["web-service"], expected);
        });

        it("deploys through the kubernetes provider in its providers option", async () => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            await deploy(k8sBase, "web", { providers: { kubernetes: provider } });
            assert.match(one(DEPLOYMENT).provider ?? "", /::cluster::/);
            assert.match(one(SERVICE).provider ?? "", /::cluster::/);
        });
    });

    describe("both targets", () => {
        it("harden the container the same way, from one container spec", async () => {
            const args = { ...base, resources: { cpuLimit: "750m", memoryLimit: "300Mi" } };
            await deploy(args);
            const docker = one(CONTAINER).inputs;
            reset();
            await deploy({ ...args, target: "kubernetes" });
            const pod = one(DEPLOYMENT).inputs.spec.template.spec;
            const [k8sContainer] = pod.containers;
            const tmp = pod.volumes.find((v: { name: string }) => v.name === "tmp");
            const asDocker = {
                user: `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
                readOnly: k8sContainer.securityContext.readOnlyRootFilesystem,
                capabilities: { drops: k8sContainer.securityContext.capabilities.drop },
                securityOpts: [
                    `no-new-privileges:${!k8sContainer.securityContext.allowPrivilegeEscalation}`,
                ],
                tmpfs: { "/tmp": `rw,noexec,nosuid,size=${parseInt(tmp.emptyDir.sizeLimit)}m` },
                cpus: String(parseInt(k8sContainer.resources.limits.cpu) / 1000),
                memory: parseInt(k8sContainer.resources.limits.memory),
            };
            assert.deepStrictEqual(
                Object.fromEntries(Object.keys(asDocker).map((k) => [k, docker[k]])),
                asDocker,
            );
            assert.notStrictEqual(pod.securityContext.runAsUser, 0);
        });
    });

    describe("two instances in one stack", () => {
        it("give every child a name of its own", async () => {
            await deploy(base, "blue");
            await deploy({ ...base, docker: { hostPort: 8081 } }, "green");
            const names = children().map((r) => `${r.type} ${r.name}`);
            assert.strictEqual(new Set(names).size, names.length);
            assert.deepStrictEqual(names.sort(), [
                `${CONTAINER} blue-container`,
                `${CONTAINER} green-container`,
                `${IMAGE} blue-image`,
                `${IMAGE} green-image`,
                `${NETWORK} blue-network`,
                `${NETWORK} green-network`,
            ]);
        });

        it("give every Kubernetes object a name of its own", async () => {
            const k8sArgs: FlaskAppArgs = {
                ...base,
                target: "kubernetes",
                registry: { username: "u", password: "p" },
            };
            await deploy(k8sArgs, "blue");
            await deploy(k8sArgs, "green");
            const objects = registered
                .filter((r) => r.type.startsWith("kubernetes:"))
                .map((r) => `${r.type} ${r.inputs.metadata.name}`);
            assert.strictEqual(new Set(objects).size, objects.length);
            assert.strictEqual(objects.length, 10);
        });
    });
});
