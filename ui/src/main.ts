import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { applyTheme } from "./lib/theme";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

// Follow the system until the settings say otherwise, so the first paint has the right colours.
applyTheme("system");

export default mount(App, { target });
