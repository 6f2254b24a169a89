// End to end on the test bed's real node (kubelet, containerd, kube-proxy): the program with
// `target: kubernetes`, placed on that node by its `nodeSelector` and `tolerations` config, run
// by the real Pulumi engine. What kwok cannot show is checked here: real readiness and liveness
// probes, the user and read-only root the runtime enforces, traffic through a ClusterIP and a
// NodePort, rollouts under load with no failed request (at a fixed rate, whose p99 against the
// steady state is printed, and at saturation), and an out-of-memory container. The tests are the
// steps of one stack's life and run in order.
import * as assert from "assert";
import * as crypto from "crypto";
import { setTimeout as sleep } from "timers/promises";
import { EngineEvent } from "@pulumi/pulumi/automation";

import { httpGet } from "../../tools/testbed/http";
import { configureKubernetesStack, setConfig } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { kubectl, kubectlJson } from "../support/kubernetes";
import { EngineTranscript, changes, useStack } from "../support/stack";
import { LoadOptions, describeLoad, startLoad, summarize } from "./load";
import { kubernetesTargetPlugins } from "./plugins";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Pod = any;

const needs: SuiteNeeds = {
    plugins: kubernetesTargetPlugins,
    parts: { FLASKAPP_E2E_REAL_NODE: "the test bed has no real node" },
    timeoutMinutes: 30,
};

e2eSuite("real node, end to end", needs, (parts) => {
    const nodeName = parts.FLASKAPP_E2E_REAL_NODE;
    const bed = testBed();
    const nodeIp = process.env.FLASKAPP_E2E_REAL_NODE_IP ?? "10.213.0.1";
    const [selectorKey, selectorValue] = (
        process.env.FLASKAPP_E2E_REAL_NODE_SELECTOR ?? "flaskapp.dev/node=real"
    ).split("=");
    const taint = /^([^=]+)=([^:]*):(.+)$/.exec(
        process.env.FLASKAPP_E2E_REAL_NODE_TAINT ?? "flaskapp.dev/node=real:NoSchedule",
    )!;
    const namespace = `e2e-real-${crypto.randomBytes(3).toString("hex")}`;
    const repository = `e2e/flask-app-${crypto.randomBytes(3).toString("hex")}`;
    const transcript = new EngineTranscript();
    const suite = useStack("real", {
        configure: async (stack) => {
            await configureKubernetesStack(stack, bed, repository, namespace, {
                replicas: 2,
                serviceType: "NodePort",
            });
            // The placement a user would write: `pulumi config set --path ...`.
            await configPath(`nodeSelector["${selectorKey}"]`, selectorValue);
            await configPath("tolerations[0].key", taint[1]);
            await configPath("tolerations[0].operator", "Equal");
            await configPath("tolerations[0].value", taint[2]);
            await configPath("tolerations[0].effect", taint[3]);
            // The access log shows the kubelet's probes reaching the app.
            // "yes", not "1": `--path` stores a number for "1", and env values must be strings.
            await configPath("env.WEB_ACCESS_LOG", "yes");
        },
    });

    const get = (...args: string[]) => kubectlJson(bed, "-n", namespace, ...args);
    const pods = (): Pod[] =>
        get("pods", "-l", "app.kubernetes.io/instance=flask-app").items.filter(
            (p: Pod) => !p.metadata.deletionTimestamp,
        );
    const isReady = (pod: Pod) =>
        pod.status.conditions?.some((c: Pod) => c.type === "Ready" && c.status === "True");
    const exec = (pod: string, ...command: string[]) =>
        kubectl(bed, ["-n", namespace, "exec", pod, "-c", "app", "--", ...command]);
    const python = (pod: string, code: string) => exec(pod, "python3", "-c", code);
    const service = () => get("service", "flask-app");
    const clusterUrl = () => `http://${service().spec.clusterIP}:80/`;

    /** Waits until `replicas` pods are Ready, none terminating; returns them. */
    async function readyPods(replicas: number, seconds = 180): Promise<Pod[]> {
        for (let i = 0; i < seconds; i++) {
            const all = get("pods", "-l", "app.kubernetes.io/instance=flask-app").items;
            if (all.length === replicas && all.every(isReady)) return all;
            await sleep(1000);
        }
        throw new Error(`${replicas} pods did not become Ready within ${seconds}s`);
    }

    /** The open-loop rate of each kind of client in the rollout measurement, requests/s. */
    const fixedRate = 150;

    /**
     * Two kinds of client at once on the ClusterIP, in one shape of load: one that keeps its
     * connections alive, one that opens a connection per request.
     */
    const bothLoads = (shape: LoadOptions) => ({
        kept: startLoad(clusterUrl(), { ...shape, maxSeconds: 900 }),
        fresh: startLoad(clusterUrl(), { ...shape, maxSeconds: 900, keepAlive: false }),
    });
    /** Saturating: two clients of each kind, each sending as soon as it has its answer. */
    const saturating: LoadOptions = { concurrency: 2 };

    /** Pulumi up; returns the changes and the time its Deployment step started and ended. */
    async function up() {
        const window = { from: 0, to: 0 };
        const onEvent = (event: EngineEvent) => {
            transcript.opts.onEvent(event);
            const type = (e?: { metadata?: { type?: string } }) => e?.metadata?.type;
            if (type(event.resourcePreEvent) === "kubernetes:apps/v1:Deployment") {
                window.from = Date.now();
            }
            if (type(event.resOutputsEvent) === "kubernetes:apps/v1:Deployment") {
                window.to = Date.now();
            }
        };
        const started = Date.now();
        const result = await suite.stack.up({ ...transcript.opts, onEvent });
        return {
            changed: changes(result.summary.resourceChanges),
            outputs: result.outputs,
            seconds: (Date.now() - started) / 1000,
            window,
        };
    }

    /** `pulumi config set --path KEY VALUE`. */
    const configPath = (key: string, value: string) =>
        suite.stack.setConfig(`flask-app:${key}`, { value }, true);

    it("runs every replica on the real node, Ready only once the app answered its probe", async () => {
        const { outputs } = await up();
        const running = await readyPods(2);
        for (const pod of running) {
            assert.strictEqual(pod.spec.nodeName, nodeName);
            assert.ok(pod.status.podIP.startsWith(nodeIp.replace(/\.\d+$/, ".")), pod.status.podIP);
            assert.strictEqual(pod.spec.containers[0].image, outputs.imageRef.value);
            const [status] = pod.status.containerStatuses;
            assert.ok(
                status.imageID.endsWith(outputs.imageRef.value.split("@")[1]),
                status.imageID,
            );
            const probes = kubectl(bed, ["-n", namespace, "logs", pod.metadata.name, "-c", "app"])
                .split("\n")
                .filter((line) => line.includes('"/healthz"') && line.includes("kube-probe/"))
                .map((line) => JSON.parse(line));
            const ready = pod.status.conditions.find((c: Pod) => c.type === "Ready");
            // The conditions have whole seconds: compare with the first probe's second.
            const firstProbe = Math.floor(Date.parse(probes[0]?.time) / 1000) * 1000;
            assert.ok(
                Date.parse(ready.lastTransitionTime) >= firstProbe,
                `Ready at ${ready.lastTransitionTime}, no earlier than the first probe reached the app (${probes[0]?.time})`,
            );
            assert.ok(
                Date.parse(ready.lastTransitionTime) >= Date.parse(status.state.running.startedAt),
                "Ready no earlier than the container started",
            );
            assert.ok(probes.length > 0, "the kubelet's probes reached the app");
        }
    });

    it("runs as UID 10001 on a read-only root", () => {
        const [pod] = pods();
        const name = pod.metadata.name;
        assert.strictEqual(
            python(name, "import os; print(os.getuid(), os.getgid())"),
            "10001 10001",
        );
        assert.throws(() => python(name, "open('/written-by-e2e', 'w')"), /Read-only file system/);
        // /tmp, the one writable place, is a memory-backed emptyDir.
        python(name, "open('/tmp/ok', 'w').write('ok')");
    });

    it("answers through the ClusterIP and a NodePort on the node's IP, from every replica", async () => {
        const svc = service();
        const expected = { message: "Hello from Flask!" };
        const viaClusterIp = await httpGet(clusterUrl());
        assert.deepStrictEqual(JSON.parse(viaClusterIp.body), expected);
        const viaNodePort = await httpGet(`http://${nodeIp}:${svc.spec.ports[0].nodePort}/`);
        assert.deepStrictEqual(JSON.parse(viaNodePort.body), expected);

        const running = pods();
        const slices = kubectlJson(
            bed,
            "-n",
            namespace,
            "endpointslices",
            "-l",
            "kubernetes.io/service-name=flask-app",
        ).items;
        const endpoints = slices.flatMap((s: Pod) => s.endpoints ?? []);
        assert.deepStrictEqual(
            endpoints.map((e: Pod) => e.addresses[0]).sort(),
            running.map((p: Pod) => p.status.podIP).sort(),
            "the Service sends to exactly the running pods",
        );
        assert.ok(endpoints.every((e: Pod) => e.conditions.ready));
        // Each replica answers on its own address, and is its own pod.
        for (const pod of running) {
            const direct = await httpGet(`http://${pod.status.podIP}:8000/`);
            assert.deepStrictEqual(JSON.parse(direct.body), expected);
            const hostname = python(
                pod.metadata.name,
                "import socket; print(socket.gethostname())",
            );
            assert.strictEqual(hostname, pod.metadata.name);
        }
    });

    it("restarts a container whose liveness probe fails, the Service answering meanwhile", async () => {
        const [pod] = pods();
        const name = pod.metadata.name;
        const restarts = () => get("pod", name).status.containerStatuses[0].restartCount as number;
        const before = restarts();
        const load = startLoad(clusterUrl(), { concurrency: 2, maxSeconds: 240 });
        // Freeze every process of the app: it stops answering, and nothing else in it changes.
        python(
            name,
            "import os, signal\n" +
                "for p in os.listdir('/proc'):\n" +
                "    if p.isdigit() and int(p) != os.getpid():\n" +
                "        os.kill(int(p), signal.SIGSTOP)",
        );
        let restarted = false;
        for (let i = 0; i < 200 && !restarted; i++) {
            await sleep(1000);
            restarted = restarts() > before;
        }
        const samples = await load.stop();
        assert.ok(restarted, "the kubelet restarted the container");
        const events = kubectl(bed, [
            "-n",
            namespace,
            "get",
            "events",
            "--field-selector",
            `involvedObject.name=${name}`,
            "-o",
            "jsonpath={range .items[*]}{.reason}: {.message}{'\\n'}{end}",
        ]);
        assert.match(events, /Liveness probe failed/);
        await readyPods(2);
        const figures = summarize(samples);
        console.log(`      ${describeLoad("while a replica hung and restarted", figures)}`);
        // Requests that reached the frozen pod before its readiness probe failed time out.
        assert.ok(figures.requests - figures.failures > 0, "the other replica kept answering");
    });

    it("replaces a deleted pod while the Service answers every request, kept-alive or not", async () => {
        const [pod] = pods();
        const load = bothLoads(saturating);
        await sleep(2000);
        kubectl(bed, ["-n", namespace, "delete", "pod", pod.metadata.name, "--wait=false"]);
        const replaced = await readyPods(2);
        assert.ok(!replaced.some((p: Pod) => p.metadata.name === pod.metadata.name));
        // The old pod's preStop sleep and drain end before the load does.
        await sleep(12_000);
        const kept = summarize(await load.kept.stop());
        const fresh = summarize(await load.fresh.stop());
        console.log(`      ${describeLoad("pod deleted and replaced, keep-alive", kept)}`);
        console.log(`      ${describeLoad("pod deleted and replaced, new connections", fresh)}`);
        assert.strictEqual(fresh.failures, 0, JSON.stringify(fresh.errors));
        // The preStop hook's drain answers `Connection: close`: keep-alive clients have left the
        // old pod, after a complete response, before SIGTERM closes what is idle.
        assert.strictEqual(kept.failures, 0, JSON.stringify(kept.errors));
    });

    it("rolls out a new image at a fixed request rate with no failed request", async () => {
        // Clients arriving at a fixed rate, well below what two replicas serve (about 2,000
        // requests/s at saturation here), so that the figures show what the rollout adds rather
        // than the queue of a saturated node. The steady state is 20 s of the same clients, once
        // their first second has passed.
        const load = bothLoads({ rate: fixedRate });
        const steadyFrom = Date.now() + 1000;
        await sleep(21_000);
        const started = Date.now();
        suite.project.editApp("flask_app/__init__.py", '"Hello from Flask!"', '"Hello again!"');
        const { changed, window, seconds } = await up();
        // The rollout ends when the old pods have drained and exited.
        await readyPods(2);
        const ended = Date.now();
        await sleep(1000);
        const samples = {
            "keep-alive": await load.kept.stop(),
            "new connections": await load.fresh.stop(),
        };
        assert.deepStrictEqual(changed, { update: 2 }, "the image and the Deployment");
        assert.ok(window.from >= started, "the up had a Deployment step");
        const rolloutSeconds = (ended - window.from) / 1000;

        console.log(
            `      ${fixedRate} requests/s per kind of client; pulumi up ${seconds.toFixed(1)} s, its ` +
                `Deployment step ${((window.to - window.from) / 1000).toFixed(1)} s, from that step ` +
                `until the old pods exited ${rolloutSeconds.toFixed(1)} s`,
        );
        const figures = Object.entries(samples).map(([mode, all]) => {
            const steady = summarize(all, steadyFrom, started);
            const rollout = summarize(all, window.from, ended);
            const upAndDrain = summarize(all, started, ended);
            console.log(`      ${describeLoad(`steady, ${mode}`, steady)}`);
            console.log(`      ${describeLoad(`rollout, ${mode}`, rollout)}`);
            console.log(`      ${describeLoad(`up and drain, ${mode}`, upAndDrain)}`);
            console.log(
                `      p99 / steady, ${mode}: rollout ${(rollout.p99 / steady.p99).toFixed(2)}, ` +
                    `up and drain ${(upAndDrain.p99 / steady.p99).toFixed(2)}`,
            );
            return { mode, all: summarize(all), rollout };
        });
        for (const { mode, all, rollout } of figures) {
            assert.strictEqual(all.failures, 0, `${mode}: ${JSON.stringify(all.errors)}`);
            // The generator kept its rate through the rollout, or its figures mean little.
            assert.ok(
                rollout.requests >= 0.9 * fixedRate * rolloutSeconds,
                `${mode}: ${rollout.requests} requests in ${rolloutSeconds} s at ${fixedRate}/s`,
            );
        }
        const body = JSON.parse((await httpGet(clusterUrl())).body);
        assert.deepStrictEqual(body, { message: "Hello again!" });
    });

    it("rolls out under saturating load with no failed request, kept-alive or not", async () => {
        const load = bothLoads(saturating);
        await sleep(2000);
        // A new pod template without a new image: the rollout alone, no build beside it.
        await configPath("env.ROLLOUT_MARK", "saturated");
        const { changed, seconds } = await up();
        await readyPods(2);
        await sleep(1000);
        const kept = summarize(await load.kept.stop());
        const fresh = summarize(await load.fresh.stop());
        assert.deepStrictEqual(changed, { update: 1 }, "the Deployment alone");
        console.log(`      pulumi up took ${seconds.toFixed(1)} s`);
        console.log(`      ${describeLoad("saturating rollout, keep-alive", kept)}`);
        console.log(`      ${describeLoad("saturating rollout, new connections", fresh)}`);
        assert.strictEqual(fresh.failures, 0, JSON.stringify(fresh.errors));
        assert.strictEqual(kept.failures, 0, JSON.stringify(kept.errors));
    });

    it("fails within awaitTimeoutSeconds when the new pods run out of memory, the old ones serving", async () => {
        const before = pods()
            .map((p: Pod) => p.metadata.name)
            .sort();
        const awaitTimeoutSeconds = 60;
        await setConfig(suite.stack, {
            memoryLimit: "32Mi",
            memoryRequest: "32Mi",
            awaitTimeoutSeconds,
        });
        const load = startLoad(clusterUrl(), { concurrency: 2, maxSeconds: 300 });
        const started = Date.now();
        let message = "";
        await assert.rejects(suite.stack.up(transcript.opts), (err: Error) => {
            message = err.message;
            return true;
        });
        const seconds = (Date.now() - started) / 1000;
        const figures = summarize(await load.stop());
        console.log(`      pulumi up failed after ${seconds.toFixed(1)} s`);
        console.log(`      ${describeLoad("while the new pods ran out of memory", figures)}`);
        const relevant = message
            .split("\n")
            .filter((line) =>
                /deployment|pod|OOM|memory|timeout|timed out|Back-off|CrashLoop/i.test(line),
            );
        console.log(relevant.map((line) => `      | ${line.trim()}`).join("\n"));
        const oomPods = get("pods", "-l", "app.kubernetes.io/instance=flask-app").items.filter(
            (p: Pod) =>
                p.status.containerStatuses?.some(
                    (s: Pod) =>
                        s.lastState?.terminated?.reason === "OOMKilled" ||
                        s.state?.terminated?.reason === "OOMKilled",
                ),
        );
        assert.ok(oomPods.length > 0, "the cluster recorded an OOMKilled container");
        assert.match(message, /OOMKilled/);
        assert.ok(seconds < awaitTimeoutSeconds + 120, `up gave up after ${seconds}s`);
        assert.strictEqual(figures.failures, 0, JSON.stringify(figures.errors));
        const still = get("pods", "-l", "app.kubernetes.io/instance=flask-app")
            .items.filter(isReady)
            .map((p: Pod) => p.metadata.name)
            .sort();
        assert.deepStrictEqual(still, before, "the previous ReplicaSet kept serving");
    });

    it("recovers with the previous limits", async () => {
        await setConfig(suite.stack, {
            memoryLimit: "256Mi",
            memoryRequest: "128Mi",
            awaitTimeoutSeconds: 300,
        });
        await up();
        await readyPods(2);
        const body = JSON.parse((await httpGet(clusterUrl())).body);
        assert.deepStrictEqual(body, { message: "Hello again!" });
    });
});
