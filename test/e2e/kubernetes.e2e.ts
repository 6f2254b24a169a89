// End to end on the kubernetes target: the program with `target: kubernetes`, run by the real
// Pulumi engine against the test bed's API server (kwok nodes), Docker Engine and authenticated
// registry.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";

import { configureKubernetesStack, setConfig } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { kubectlJson } from "../support/kubernetes";
import { secretForms } from "../support/registry";
import { EngineTranscript, changes, storedState, useStack } from "../support/stack";
import { kubernetesTargetPlugins } from "./plugins";

const needs: SuiteNeeds = { plugins: kubernetesTargetPlugins, timeoutMinutes: 20 };

e2eSuite("kubernetes target, end to end", needs, () => {
    // A scenario, in order: the tests are the steps of one stack's life, each starting from the
    // state the one before left; what a rollout changes is seen only against that state.
    const bed = testBed();
    const namespace = `e2e-${crypto.randomBytes(3).toString("hex")}`;
    const repository = `e2e/flask-app-${crypto.randomBytes(3).toString("hex")}`;
    const apiKeys = ["first-" + crypto.randomBytes(8).toString("hex")];
    const rotatedPassword = crypto.randomBytes(12).toString("hex");
    const kubeconfig = fs.readFileSync(bed.kubeconfig, "utf8");
    const transcript = new EngineTranscript();
    const suite = useStack("k8s", {
        configure: async (stack) => {
            await configureKubernetesStack(stack, bed, repository, namespace, { replicas: 2 });
            await setApiKey(apiKeys[0]);
        },
    });

    const get = (...args: string[]) => kubectlJson(bed, "-n", namespace, ...args);
    const deployment = () => get("deployment", "flask-app");
    /** The ReplicaSets of the app, by name, with their replica counts. */
    const replicaSets = (): Record<string, number> =>
        Object.fromEntries(
            get("replicasets", "-l", "app.kubernetes.io/instance=flask-app").items.map(
                (rs: { metadata: { name: string }; spec: { replicas: number } }) => [
                    rs.metadata.name,
                    rs.spec.replicas,
                ],
            ),
        );
    const setApiKey = (value: string) =>
        suite.stack.setConfig("flask-app:secretEnv.API_KEY", { value, secret: true }, true);
    async function up() {
        const result = await transcript.upWithoutWarnings(suite.stack);
        return { changed: changes(result.summary.resourceChanges), outputs: result.outputs };
    }

    it("creates the namespace, Secrets, Deployment and Service, running the pushed digest", async () => {
        const { outputs } = await up();
        assert.strictEqual(outputs.url.value, `http://flask-app.${namespace}.svc.cluster.local:80`);
        const ns = kubectlJson(bed, "namespace", namespace);
        assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");

        const live = deployment();
        const [container] = live.spec.template.spec.containers;
        assert.strictEqual(container.image, outputs.imageRef.value);
        assert.match(container.image, new RegExp(`^${bed.registry}/${repository}@sha256:`));
        assert.strictEqual(live.status.availableReplicas, 2);
        assert.deepStrictEqual(live.spec.template.spec.imagePullSecrets, [
            { name: "flask-app-registry" },
        ]);
        // Secret values reach the app as files of a mounted Secret, not as variables.
        assert.ok(!container.env.some((e: { name: string }) => e.name === "API_KEY"));
        const volume = live.spec.template.spec.volumes.find(
            (v: { name: string }) => v.name === "env",
        );
        const envSecret = get("secret", volume.secret.secretName);
        assert.strictEqual(Buffer.from(envSecret.data.API_KEY, "base64").toString(), apiKeys[0]);

        const pull = get("secret", "flask-app-registry");
        const auths = JSON.parse(Buffer.from(pull.data[".dockerconfigjson"], "base64").toString());
        assert.strictEqual(auths.auths[bed.registry].password, bed.password);
        assert.strictEqual(get("service", "flask-app").spec.ports[0].targetPort, "http");
    });

    it("previews no change straight after up", async () => {
        const preview = await suite.stack.preview(transcript.opts);
        assert.deepStrictEqual(changes(preview.changeSummary), {});
    });

    it("rolls out a new ReplicaSet after a one-line app change, scaling the old one to 0", async () => {
        const before = replicaSets();
        suite.project.editApp("flask_app/__init__.py", '"Hello from Flask!"', '"Hello again!"');
        const { changed } = await up();
        assert.deepStrictEqual(changed, { update: 2 }, "the image and the Deployment");
        const after = replicaSets();
        const added = Object.keys(after).filter((name) => !(name in before));
        assert.strictEqual(added.length, 1);
        assert.strictEqual(after[added[0]], 2);
        for (const name of Object.keys(before)) assert.strictEqual(after[name], 0);
    });

    it("changes replicas in place, without a new ReplicaSet", async () => {
        const before = Object.keys(replicaSets()).sort();
        await setConfig(suite.stack, { replicas: 3 });
        const { changed } = await up();
        assert.deepStrictEqual(changed, { update: 1 });
        assert.deepStrictEqual(Object.keys(replicaSets()).sort(), before);
        assert.strictEqual(deployment().status.availableReplicas, 3);
    });

    it("rolls the pods when a secret env value changes", async () => {
        const before = Object.keys(replicaSets());
        apiKeys.push("second-" + crypto.randomBytes(8).toString("hex"));
        await setApiKey(apiKeys[1]);
        await up();
        const added = Object.keys(replicaSets()).filter((name) => !before.includes(name));
        assert.strictEqual(added.length, 1, "a new ReplicaSet for the new env Secret");
    });

    it("does not roll the pods when the registry password rotates", async () => {
        const before = replicaSets();
        await suite.stack.setConfig("flask-app:registryPassword", {
            value: rotatedPassword,
            secret: true,
        });
        const { changed } = await up();
        // The provider replaces a Secret whose data changes; nothing that uses it follows.
        assert.deepStrictEqual(changed, { replace: 1 }, "the pull Secret alone");
        assert.deepStrictEqual(replicaSets(), before);
        const pull = get("secret", "flask-app-registry");
        const auths = JSON.parse(Buffer.from(pull.data[".dockerconfigjson"], "base64").toString());
        assert.strictEqual(auths.auths[bed.registry].password, rotatedPassword);
    });

    it("keeps the kubeconfig, passwords and secret env out of stored state and engine logs", () => {
        const secrets: [string, string][] = [
            ["the kubeconfig", kubeconfig],
            ...secretForms(bed.username, bed.password).map((s): [string, string] => [
                "the registry password",
                s,
            ]),
            ...secretForms(bed.username, rotatedPassword).map((s): [string, string] => [
                "the rotated password",
                s,
            ]),
            ...apiKeys.map((s): [string, string] => ["a secretEnv value", s]),
        ];
        for (const [where, text] of [
            ["stored state", storedState(suite.project, suite.stack)],
            ["engine logs", transcript.text],
        ]) {
            for (const [what, secret] of secrets) {
                assert.ok(!text.includes(secret), `${what} is in the ${where}`);
            }
        }
    });

    it("leaves nothing behind after destroy, the namespace included", async () => {
        await suite.stack.destroy(transcript.opts);
        assert.throws(() => kubectlJson(bed, "namespace", namespace), /NotFound|not found/);
    });
});
