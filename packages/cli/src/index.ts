export { serveCommand } from "./serveCommand.js";
export { applicationCommand } from "./applicationCommand.js";
export { autoscaleCommand } from "./autoscaleCommand.js";
