// Prints, as one JSON array, the `docker run` flags (without the image) that the docker target
// computes for its default settings, published on 127.0.0.1:HOST_PORT, so that
// benchmarks/server.py runs the image exactly as the component would.
//   npx ts-node benchmarks/containerFlags.ts NAME HOST_PORT
import { containerSpec } from "../components/container";
import { containerArgs } from "../components/docker";
import { validSettings } from "../components/flaskApp";
import { dockerRunArgs } from "../tools/testbed/dockerRun";
import { promiseOf } from "../tools/testbed/promiseOf";

async function main() {
    const [name, hostPort] = process.argv.slice(2);
    if (!name || !Number.isInteger(Number(hostPort))) {
        throw new Error("usage: containerFlags.ts NAME HOST_PORT");
    }
    const settings = validSettings(name, {
        image: { repository: "localhost:5000/unused" },
        docker: { hostPort: Number(hostPort) },
    });
    // On the default bridge: the network of its own is Pulumi's to create.
    const args = containerArgs(settings, containerSpec(settings, "IMAGE"), "bridge");
    const flags = dockerRunArgs({ ...args, envs: await promiseOf(args.envs) }, name);
    // dockerRunArgs ends with the image; the caller puts its own there.
    console.log(JSON.stringify(flags.slice(0, -1)));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
