import "./mocks";

import * as assert from "assert";

import { promiseOf } from "../tools/testbed/promiseOf";
import { digestRef, dockerContainerOf, kubernetesObjectsOf } from "../tools/testbed/targets";
import {
    exposedPorts,
    isPinnedImage,
    missingLimits,
    rootContainers,
    unpinnedImages,
} from "../policy/rules";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONTAINER = "docker:index/container:Container";

const deployment = (container: object, pod: object = {}) => ({
    spec: { template: { spec: { ...pod, containers: [{ name: "app", ...container }] } } },
});

describe("policy pack rules", () => {
    describe("on what FlaskApp creates", () => {
        const image = { repository: "localhost:5000/flask-app" };

        it("finds nothing wrong with the docker target's container", async () => {
            const props = await promiseOf(dockerContainerOf({ image }));
            for (const rule of [missingLimits, unpinnedImages, rootContainers]) {
                assert.deepStrictEqual(rule(CONTAINER, props), []);
            }
            assert.deepStrictEqual(exposedPorts(CONTAINER, props, []), []);
        });

        it("finds nothing wrong with the kubernetes target's Deployment", async () => {
            const props = await promiseOf(kubernetesObjectsOf({ image }).deployment);
            for (const rule of [missingLimits, unpinnedImages, rootContainers]) {
                assert.deepStrictEqual(rule(DEPLOYMENT, props), []);
            }
        });
    });

    it("requires CPU and memory limits on every container", () => {
        assert.deepStrictEqual(
            missingLimits(DEPLOYMENT, deployment({ resources: { limits: { cpu: "1" } } })),
            ['container "app" sets no memory limit'],
        );
        assert.deepStrictEqual(missingLimits(DEPLOYMENT, deployment({})), [
            'container "app" sets no cpu or memory limit',
        ]);
        assert.deepStrictEqual(missingLimits(CONTAINER, { memory: 256 }), [
            "the container sets no cpus limit",
        ]);
        assert.deepStrictEqual(missingLimits("kubernetes:core/v1:Service", {}), []);
    });

    it("refuses latest and untagged images unless pinned by digest", () => {
        assert.ok(isPinnedImage(digestRef));
        assert.ok(isPinnedImage("localhost:5000/flask-app:v1.2.3"));
        assert.ok(!isPinnedImage("localhost:5000/flask-app"));
        assert.ok(!isPinnedImage("localhost:5000/flask-app:latest"));
        assert.ok(!isPinnedImage("python"));
        assert.deepStrictEqual(unpinnedImages(CONTAINER, { image: "localhost:5000/flask-app" }), [
            'image "localhost:5000/flask-app" is untagged or "latest"; pin it by digest or a fixed tag',
        ]);
        assert.deepStrictEqual(unpinnedImages(DEPLOYMENT, deployment({ image: "nginx:latest" })), [
            'image "nginx:latest" is untagged or "latest"; pin it by digest or a fixed tag',
        ]);
    });

    it("requires runAsNonRoot, at pod or container level, and a non-root Docker user", () => {
        assert.deepStrictEqual(rootContainers(DEPLOYMENT, deployment({})), [
            'container "app" does not set runAsNonRoot: true',
        ]);
        assert.deepStrictEqual(
            rootContainers(DEPLOYMENT, deployment({}, { securityContext: { runAsNonRoot: true } })),
            [],
        );
        assert.deepStrictEqual(
            rootContainers(
                DEPLOYMENT,
                deployment(
                    { securityContext: { runAsNonRoot: false } },
                    { securityContext: { runAsNonRoot: true } },
                ),
            ),
            ['container "app" does not set runAsNonRoot: true'],
        );
        assert.deepStrictEqual(rootContainers(CONTAINER, { user: "0:0" }), [
            'the container runs as "0:0"; set a non-root `user`',
        ]);
        assert.deepStrictEqual(rootContainers(CONTAINER, {}), [
            "the container runs as the image's user; set a non-root `user`",
        ]);
    });

    it("keeps Docker ports on loopback unless the address is allowed", () => {
        const props = { ports: [{ internal: 8000, external: 8080, ip: "0.0.0.0" }] };
        assert.deepStrictEqual(exposedPorts(CONTAINER, props, []), [
            "port 8000 is published on 0.0.0.0:8080; publish it on 127.0.0.1 or allow the address in the policy's `allowedAddresses`",
        ]);
        assert.deepStrictEqual(exposedPorts(CONTAINER, props, ["0.0.0.0"]), []);
        assert.deepStrictEqual(exposedPorts(CONTAINER, { ports: [{ internal: 8000 }] }, []), [
            "port 8000 is published on 0.0.0.0; publish it on 127.0.0.1 or allow the address in the policy's `allowedAddresses`",
        ]);
        assert.deepStrictEqual(
            exposedPorts(CONTAINER, { ports: [{ internal: 8000, ip: "::1" }] }, []),
            [],
        );
    });
});
