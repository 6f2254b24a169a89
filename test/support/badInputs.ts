// Every bad input the program refuses, with the message it refuses it with: stated once here,
// tried by the unit tests in place of the engine (test/settings.test.ts, stackConfig.test.ts)
// and on the real engine (test/e2e/engine.e2e.ts).
import * as fs from "fs";
import * as os from "os";
import * as nodePath from "path";

import { FlaskAppArgs } from "../../components";
import { StackConfig, path, secret, secretPath } from "./engineConfig";

/**
 * A value the component refuses. `config` states it as a user sets it, including every key the
 * rule reads besides the bad one (so that rows tried together cannot mask each other); `args`
 * states it as component arguments where stack config cannot (a type the CLI refuses first, a
 * repository left out).
 */
export type BadSetting = { readonly problem: string } & (
    | { readonly config: StackConfig; readonly args?: undefined }
    | { readonly args: FlaskAppArgs; readonly config?: undefined }
);

const image = { repository: "localhost:5000/flask-app" };
const base: FlaskAppArgs = { image };
const k8s = (kubernetes: FlaskAppArgs["kubernetes"]): FlaskAppArgs => ({
    ...base,
    target: "kubernetes",
    kubernetes,
});
const onKubernetes = (config: StackConfig): StackConfig => ({ target: "kubernetes", ...config });
const quantity = (what: string, example: string) =>
    `must be a positive Kubernetes ${what} quantity such as ${example}`;
const cpu = quantity("CPU", '"250m" or "1"');
const memory = quantity("memory", '"128Mi" or "1Gi"');
const repository =
    'must be an image repository without tag or digest, such as "localhost:5000/flask-app" or "ghcr.io/acme/web"';
const dnsLabel = 'must be a DNS label (lowercase letters, digits and "-", at most 63)';
const emptyDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "flaskapp-"));

/** One bad value per row, and the one problem the component reports for it. */
export const badSettings: readonly BadSetting[] = [
    {
        config: { target: "nomad" },
        problem: '`target` must be one of "docker", "kubernetes"; got "nomad"',
    },
    {
        config: { appPath: "no/such/folder" },
        problem:
            '`appPath` must be a folder holding a Dockerfile; got "no/such/folder", which is not a folder',
    },
    {
        config: { appPath: "components" },
        problem:
            '`appPath` must be a folder holding a Dockerfile; got "components", which has none',
    },
    {
        args: { ...base, appPath: emptyDir },
        problem: `\`appPath\` must be a folder holding a Dockerfile; got ${JSON.stringify(emptyDir)}, which has none`,
    },
    { config: { appName: "Flask_App" }, problem: `\`appName\` ${dnsLabel}; got "Flask_App"` },
    {
        config: { imageRepository: "localhost:5000/flask-app:v1" },
        problem: `\`image.repository\` ${repository}; got "localhost:5000/flask-app:v1"`,
    },
    {
        config: { imageRepository: "ghcr.io/Acme/Web" },
        problem: `\`image.repository\` ${repository}; got "ghcr.io/Acme/Web"`,
    },
    // Stack config always has one: Pulumi.yaml's default.
    { args: {} as FlaskAppArgs, problem: `\`image.repository\` ${repository}; got undefined` },
    {
        config: { imageTag: "-v1" },
        problem:
            '`image.tag` must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"; got "-v1"',
    },
    {
        config: { platform: "amd64" },
        problem:
            '`image.platform` must be "os/arch" or "os/arch/variant", such as "linux/amd64"; got "amd64"',
    },
    {
        config: { baseImage: "python" },
        problem:
            '`image.buildArgs.BASE_IMAGE` must be an image reference with a tag or digest, such as "python:3.11-slim" or "ghcr.io/acme/python@sha256:…"; got "python"',
    },
    {
        config: { pipIndexUrl: "pypi.internal/simple" },
        problem:
            '`image.buildArgs.PIP_INDEX_URL` must be an http or https URL, such as "https://pypi.internal/simple"; got "pypi.internal/simple"',
    },
    {
        config: { pipTrustedHost: "http://pypi.internal" },
        problem:
            '`image.buildArgs.PIP_TRUSTED_HOST` must be a host name, optionally with ":port", such as "pypi.internal"; got "http://pypi.internal"',
    },
    {
        config: { imageRepository: "acme/web", registryServer: "https://ghcr.io" },
        problem:
            '`registry.server` must be a registry host, such as "ghcr.io" or "localhost:5000", without scheme or path; got "https://ghcr.io"',
    },
    {
        config: { imageRepository: "localhost:5000/flask-app", registryServer: "ghcr.io" },
        problem:
            '`registry.server` must match the registry in `image.repository` ("localhost:5000"); got "ghcr.io"',
    },
    {
        config: { registryUsername: "", registryPassword: secret("hunter2") },
        problem: "`registry.password` needs `registry.username`; got a password and no username",
    },
    {
        config: { registryUsername: "ci", registryPassword: "" },
        problem: '`registry.username` needs `registry.password`; got username "ci" and no password',
    },
    {
        config: { containerPort: "0" },
        problem: "`containerPort` must be an integer from 1 to 65535; got 0",
    },
    { config: { workers: "0" }, problem: "`workers` must be an integer from 1 to 64; got 0" },
    { config: { workers: "65" }, problem: "`workers` must be an integer from 1 to 64; got 65" },
    // The CLI refuses a fraction for an integer key before the program runs.
    {
        args: { ...base, requestTimeoutSeconds: 1.5 },
        problem: "`requestTimeoutSeconds` must be an integer from 1 to 3600; got 1.5",
    },
    {
        config: { requestTimeoutSeconds: "3601" },
        problem: "`requestTimeoutSeconds` must be an integer from 1 to 3600; got 3601",
    },
    {
        config: { healthPath: "healthz" },
        problem: '`healthPath` must be a URL path starting with "/"; got "healthz"',
    },
    {
        config: { 'env["API-KEY"]': path("x") },
        problem:
            '`env` names must be letters, digits and "_", not starting with a digit; got "API-KEY"',
    },
    {
        config: { "env.PORT": path("9000") },
        problem: "`env` must not set PORT: the component sets it from `containerPort`",
    },
    {
        config: { 'secretEnv["1TOKEN"]': secretPath("x") },
        problem:
            '`secretEnv` names must be letters, digits and "_", not starting with a digit; got "1TOKEN"',
    },
    {
        config: { "secretEnv.WEB_TIMEOUT": secretPath("x") },
        problem:
            "`secretEnv` must not set WEB_TIMEOUT: the component sets it from `requestTimeoutSeconds`",
    },
    {
        config: { "env.TOKEN": path("a"), "secretEnv.TOKEN": secretPath("b") },
        problem: "`env` and `secretEnv` must not both set TOKEN",
    },
    { config: { cpuRequest: "a lot" }, problem: `\`resources.cpuRequest\` ${cpu}; got "a lot"` },
    { config: { cpuLimit: "half" }, problem: `\`resources.cpuLimit\` ${cpu}; got "half"` },
    {
        config: { memoryRequest: "128MB" },
        problem: `\`resources.memoryRequest\` ${memory}; got "128MB"`,
    },
    { config: { memoryLimit: "512m" }, problem: `\`resources.memoryLimit\` ${memory}; got "512m"` },
    {
        config: { cpuRequest: "1", cpuLimit: "500m" },
        problem: '`resources.cpuLimit` must not be below `resources.cpuRequest` ("1"); got "500m"',
    },
    {
        config: { memoryRequest: "1Gi", memoryLimit: "512Mi" },
        problem:
            '`resources.memoryLimit` must not be below `resources.memoryRequest` ("1Gi"); got "512Mi"',
    },
    {
        config: { memoryRequest: "1Mi", memoryLimit: "4Mi" },
        problem: '`resources.memoryLimit` must be at least "6Mi" on the docker target; got "4Mi"',
    },
    {
        config: { cpuRequest: "1m", cpuLimit: "9m" },
        problem: '`resources.cpuLimit` must be at least "10m" on the docker target; got "9m"',
    },
    {
        config: { hostAddress: "localhost" },
        problem:
            '`docker.hostAddress` must be an IPv4 or IPv6 address such as "127.0.0.1"; got "localhost"',
    },
    {
        config: { hostAddress: "1::2::3" },
        problem:
            '`docker.hostAddress` must be an IPv4 or IPv6 address such as "127.0.0.1"; got "1::2::3"',
    },
    {
        config: { hostPort: "70000" },
        problem: "`docker.hostPort` must be an integer from 1 to 65535; got 70000",
    },
    {
        config: { restartPolicy: "sometimes" },
        problem:
            '`docker.restartPolicy` must be one of "no", "on-failure", "always", "unless-stopped"; got "sometimes"',
    },
    {
        config: { healthyTimeoutSeconds: "0" },
        problem: "`docker.healthyTimeoutSeconds` must be an integer of at least 1; got 0",
    },
    // Booleans and arrays of the wrong type: the CLI refuses them in stack config.
    {
        args: { ...base, docker: { liveUpdate: "on" as never } },
        problem: '`docker.liveUpdate` must be true or false; got "on"',
    },
    {
        config: onKubernetes({ namespace: "My_Apps" }),
        problem: `\`kubernetes.namespace\` ${dnsLabel}; got "My_Apps"`,
    },
    {
        args: k8s({ createNamespace: "yes" as never }),
        problem: '`kubernetes.createNamespace` must be true or false; got "yes"',
    },
    {
        config: onKubernetes({ namespace: "kube-system", createNamespace: "true" }),
        problem:
            '`kubernetes.createNamespace` must be false for "kube-system", a namespace of the cluster\'s own that `pulumi destroy` would delete; choose another `kubernetes.namespace` or leave `createNamespace` false',
    },
    {
        config: onKubernetes({ containerPort: "1023" }),
        problem:
            "`containerPort` must be 1024 or above on the kubernetes target: the app runs as a user with every capability dropped, which may not bind a lower port (set `kubernetes.servicePort` for the port clients use); got 1023",
    },
    {
        config: onKubernetes({ replicas: "0" }),
        problem: "`kubernetes.replicas` must be an integer of at least 1; got 0",
    },
    {
        config: onKubernetes({ replicas: "-3" }),
        problem: "`kubernetes.replicas` must be an integer of at least 1; got -3",
    },
    {
        config: onKubernetes({ serviceType: "Ingress" }),
        problem:
            '`kubernetes.serviceType` must be one of "ClusterIP", "NodePort", "LoadBalancer"; got "Ingress"',
    },
    {
        args: k8s({ servicePort: 80.5 }),
        problem: "`kubernetes.servicePort` must be an integer from 1 to 65535; got 80.5",
    },
    {
        config: onKubernetes({ serviceType: "NodePort", nodePort: "70000" }),
        problem: "`kubernetes.nodePort` must be an integer from 1 to 65535; got 70000",
    },
    {
        config: onKubernetes({ serviceType: "ClusterIP", nodePort: "30080" }),
        problem:
            '`kubernetes.nodePort` needs `kubernetes.serviceType` "NodePort" or "LoadBalancer"; got "ClusterIP"',
    },
    {
        config: onKubernetes({ awaitTimeoutSeconds: "0" }),
        problem: "`kubernetes.awaitTimeoutSeconds` must be an integer of at least 1; got 0",
    },
    {
        args: k8s({ allowEgress: 1 as never }),
        problem: "`kubernetes.allowEgress` must be true or false; got 1",
    },
    {
        config: onKubernetes({ 'nodeSelector["bad key"]': path("x") }),
        problem:
            '`kubernetes.nodeSelector` keys must be label keys such as "pool" or "example.com/pool"; got "bad key"',
    },
    {
        config: onKubernetes({ "nodeSelector.pool": path("a b") }),
        problem:
            '`kubernetes.nodeSelector.pool` must be a label value (at most 63 letters, digits, "-", "_", "."); got "a b"',
    },
    {
        args: k8s({ tolerations: {} as never }),
        problem: "`kubernetes.tolerations` must be an array of tolerations; got {}",
    },
    {
        config: onKubernetes({
            "tolerations[0].key": path("k"),
            "tolerations[0].operator": path("In"),
        }),
        problem: '`kubernetes.tolerations[0]`.operator must be "Equal" or "Exists"; got "In"',
    },
    {
        config: onKubernetes({ "tolerations[0].value": path("v") }),
        problem: '`kubernetes.tolerations[0]`.key is required unless operator is "Exists"',
    },
    {
        config: onKubernetes({
            "tolerations[0].key": path("k"),
            "tolerations[0].operator": path("Exists"),
            "tolerations[0].value": path("v"),
        }),
        problem: '`kubernetes.tolerations[0]`.value must be empty with operator "Exists"; got "v"',
    },
    {
        config: onKubernetes({
            "tolerations[0].key": path("k"),
            "tolerations[0].effect": path("NoRun"),
        }),
        problem:
            '`kubernetes.tolerations[0]`.effect must be one of "NoSchedule", "PreferNoSchedule", "NoExecute"; got "NoRun"',
    },
    {
        config: onKubernetes({
            "tolerations[0].key": path("k"),
            "tolerations[0].effect": path("NoSchedule"),
            "tolerations[0].tolerationSeconds": path("5"),
        }),
        problem:
            '`kubernetes.tolerations[0]`.tolerationSeconds needs effect "NoExecute" and an integer; got 5 with effect "NoSchedule"',
    },
    {
        config: onKubernetes({
            "tolerations[0].key": path("k"),
            "tolerations[0].efect": path("NoSchedule"),
        }),
        problem:
            '`kubernetes.tolerations[0]` may have only key, operator, value, effect, tolerationSeconds; got "efect"',
    },
];

/** Stack config the program refuses before the component sees it, and its whole message. */
export const badStackConfig: readonly { key: string; config: StackConfig; message: string }[] = [
    {
        key: "unknown keys, naming the declared key each is closest to,",
        config: { replica: "3", imagetag: "v1" },
        message:
            "`imagetag` is not a setting of flask-app; did you mean `imageTag`?\n" +
            "`replica` is not a setting of flask-app; did you mean `replicas`? " +
            "The settings are declared in Pulumi.yaml.",
    },
    {
        key: "a kubeconfig that is not a kubeconfig's contents, without showing it",
        config: onKubernetes({ kubeconfig: secret("~/.kube/config") }),
        message:
            "`kubeconfig` must be the contents of a kubeconfig file, with its `clusters`, not a " +
            "path or a context name: set it with `pulumi config set --secret kubeconfig < FILE`",
    },
    {
        key: "a registryPassword in plain text",
        config: { registryUsername: "ci", registryPassword: "hunter2" },
        message:
            "`registryPassword` must be stored encrypted: set it with `pulumi config set --secret registryPassword`",
    },
    {
        key: "a kubeconfig in plain text",
        config: onKubernetes({ kubeconfig: "apiVersion: v1" }),
        message:
            "`kubeconfig` must be stored encrypted: set it with `pulumi config set --secret kubeconfig`",
    },
    {
        key: "a secretEnv in plain text, without showing it",
        config: { "secretEnv.TOKEN": path("s3cret") },
        message:
            "`secretEnv` must be stored encrypted: set it with `pulumi config set --secret --path 'secretEnv.NAME' value`",
    },
    {
        key: "an env value that is an object",
        config: { "env.RETRIES.max": path("3") },
        message:
            "`env` must be an object whose values are strings, numbers or booleans, such as `pulumi config set --path 'env.NAME' value`",
    },
    {
        key: "greeting together with env.GREETING",
        config: { greeting: "hi", "env.GREETING": path("yo") },
        message: "`greeting` and `env.GREETING` both set GREETING: keep one",
    },
];
