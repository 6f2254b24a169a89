import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type * as k8sTypes from "@pulumi/kubernetes";

import { containerArgs, dockerUrl } from "./dockerContainer";
import {
    clusterUrl,
    deploymentManifest,
    envSecretManifest,
    externalUrl,
    namespaceManifest,
    pullSecretManifest,
    pullSecretName,
    serviceManifest,
} from "./kubernetesManifests";
import { FlaskAppArgs, FlaskAppSettings, resolveSettings } from "./settings";

/**
 * Builds the Flask app's image, pushes it to a registry and runs it, pinned by digest, either as
 * a container on the local Docker Engine or as a Kubernetes Deployment behind a Service.
 */
export class FlaskApp extends pulumi.ComponentResource {
    /** The pushed image, pinned by digest: `repository@sha256:...`. */
    public readonly imageRef: pulumi.Output<string>;
    /** A URL that reaches the app: from this host (docker) or from inside the cluster (kubernetes). */
    public readonly url: pulumi.Output<string>;
    /** The address of a LoadBalancer Service, once the cluster assigns one; otherwise undefined. */
    public readonly externalUrl: pulumi.Output<string | undefined>;
    /** Names of what the component created, by kind: `container`, or `namespace`, `deployment`, `service`. */
    public readonly resourceNames: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: FlaskAppArgs, opts?: pulumi.ComponentResourceOptions) {
        // Settings are checked before anything is registered, so a bad one creates nothing.
        const settings = resolveSettings(name, args);
        super("flaskapp:index:FlaskApp", name, {}, opts);

        const image = buildImage(settings, this);
        this.imageRef = image.repoDigest;

        if (settings.target === "docker") {
            const container = new docker.Container(
                `${name}-container`,
                containerArgs(settings, image.repoDigest),
                {
                    parent: this,
                },
            );
            this.url = pulumi.output(
                dockerUrl(settings.docker.hostAddress, settings.docker.hostPort),
            );
            this.externalUrl = pulumi.output(undefined);
            this.resourceNames = pulumi.all({ container: container.name });
        } else {
            const deployed = deployToKubernetes(settings, image.repoDigest, this);
            this.url = deployed.url;
            this.externalUrl = deployed.externalUrl;
            this.resourceNames = deployed.resourceNames;
        }

        this.registerOutputs({
            imageRef: this.imageRef,
            url: this.url,
            externalUrl: this.externalUrl,
            resourceNames: this.resourceNames,
        });
    }
}

function buildImage(settings: FlaskAppSettings, parent: pulumi.Resource): docker.Image {
    const { image, registry } = settings;
    return new docker.Image(
        `${settings.name}-image`,
        {
            imageName: `${image.repository}:${image.tag}`,
            build: {
                context: settings.appPath,
                dockerfile: path.join(settings.appPath, "Dockerfile"),
                platform: image.platform,
                args: image.buildArgs,
            },
            registry:
                registry.username === undefined
                    ? { server: registry.server }
                    : {
                          server: registry.server,
                          username: registry.username,
                          password: pulumi.secret(registry.password ?? ""),
                      },
        },
        { parent },
    );
}

function deployToKubernetes(
    settings: FlaskAppSettings,
    imageRef: pulumi.Output<string>,
    parent: pulumi.Resource,
) {
    // Loaded here, not at the top: a docker stack never pays for the Kubernetes SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s: typeof k8sTypes = require("@pulumi/kubernetes");
    const { name, kubernetes: target } = settings;
    // Without a kubeconfig the children inherit the component's `providers`, like any child.
    const provider =
        target.kubeconfig === undefined
            ? undefined
            : new k8s.Provider(
                  `${name}-k8s`,
                  { kubeconfig: pulumi.secret(target.kubeconfig) },
                  { parent },
              );
    const opts: pulumi.CustomResourceOptions = { parent, provider };

    const namespace = target.createNamespace
        ? new k8s.core.v1.Namespace(`${name}-namespace`, namespaceManifest(settings), opts).metadata
              .name
        : pulumi.output(target.namespace);

    const pullSecret =
        settings.registry.username === undefined
            ? undefined
            : new k8s.core.v1.Secret(
                  `${name}-pull-secret`,
                  pullSecretManifest(settings, namespace),
                  opts,
              );
    const envSecret =
        Object.keys(settings.secretEnv).length === 0
            ? undefined
            : new k8s.core.v1.Secret(`${name}-env`, envSecretManifest(settings, namespace), opts);

    const timeout = `${target.awaitTimeoutSeconds}s`;
    const awaitOpts = { ...opts, customTimeouts: { create: timeout, update: timeout } };
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        deploymentManifest(settings, {
            namespace,
            imageRef,
            // The fixed name, not the Secret's output: the Secret is replaced (deleted first) when
            // the credentials change, and a property that depends on it would make the engine
            // replace the Deployment with it. dependsOn orders them without that.
            pullSecretName: pullSecret && pullSecretName(settings),
            envSecretName: envSecret?.metadata.name,
        }),
        { ...awaitOpts, dependsOn: pullSecret ? [pullSecret] : [] },
    );
    const service = new k8s.core.v1.Service(
        `${name}-service`,
        serviceManifest(settings, namespace),
        {
            ...awaitOpts,
            dependsOn: [deployment],
        },
    );

    const port = target.servicePort;
    return {
        url: pulumi
            .all([service.metadata.name, service.metadata.namespace])
            .apply(([svc, ns]) => clusterUrl(svc, ns, port)),
        externalUrl: service.status.apply((status) => externalUrl(status, port)),
        resourceNames: pulumi.all({
            namespace,
            deployment: deployment.metadata.name,
            service: service.metadata.name,
        }),
    };
}
