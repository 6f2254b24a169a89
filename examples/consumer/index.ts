// Two apps from one package, one per target: a docker container for this host, and a
// Deployment on a cluster whose provider comes through `providers`, as for any component.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FlaskApp } from "@flaskapp/pulumi-flask";

const config = new pulumi.Config();
const repository = config.get("imageRepository") ?? "localhost:5000/consumer";
const buildArgs = config.getObject<Record<string, string>>("buildArgs") ?? {};
const registry = {
    username: config.require("registryUsername"),
    password: config.requireSecret("registryPassword"),
};

const web = new FlaskApp("web", {
    target: "docker",
    image: { repository: `${repository}/web`, buildArgs },
    registry,
    env: { GREETING: "Hello from the web app" },
    docker: { hostPort: config.getNumber("hostPort") ?? 8081 },
});

const cluster = new k8s.Provider("cluster", { kubeconfig: config.requireSecret("kubeconfig") });
const api = new FlaskApp(
    "api",
    {
        target: "kubernetes",
        image: { repository: `${repository}/api`, buildArgs },
        registry,
        resources: { cpuLimit: "250m", memoryLimit: "192Mi" },
        kubernetes: {
            namespace: config.get("namespace") ?? "consumer",
            createNamespace: true,
            replicas: 2,
            serviceType: "NodePort",
        },
    },
    { providers: { kubernetes: cluster } },
);

export const webUrl = web.url;
export const apiUrl = api.url;
export const apiImage = api.imageRef;
