import { createApp } from "./app.js";

export { SidecarHub } from "./hub/hub.js";

export default createApp();
