export { FlaskApp } from "./flaskApp";
export * from "./settings";
export * from "./common";
export * from "./dockerContainer";
export * from "./kubernetesManifests";
export * from "./quantity";
export * from "./imageReference";
export { argsFromConfig } from "./stackConfig";
