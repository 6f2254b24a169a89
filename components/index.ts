// The package's public surface: the component, its arguments, its error and the stack-config
// reader. Everything else in components/ is internal and may change without notice.
export { FlaskApp } from "./flaskApp";
export * from "./args";
export { FlaskAppArgsError } from "./settings";
export type { DockerChildren } from "./docker";
export type { KubernetesChildren } from "./kubernetes";
export { argsFromConfig } from "./stackConfig";
