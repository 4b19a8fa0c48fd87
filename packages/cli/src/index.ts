export { serveCommand } from "./serveCommand.js";
export { applicationCommand } from "./applicationCommand.js";
