import { createApp } from "./app.js";

export { SidecarHub } from "./tunnel/hub.js";

export default createApp();
