/** The realtime pages' stylesheet: readable on phones, high contrast, visible keyboard focus. */
export const STYLE = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #4a4a4a; --bg: #ffffff; --panel: #f3f4f6;
  --accent: #0b57d0; --ok: #0a6b2d; --warn: #8a4b00; --bad: #b3261e; --line: #c8ccd2; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); }
header, main { max-width: 48rem; margin: 0 auto; padding: 0.75rem 1rem; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 1.5rem; margin: 0.25rem 0; }
h2 { font-size: 1.15rem; margin: 1rem 0 0.5rem; }
a { color: var(--accent); }
code { background: var(--panel); padding: 0 0.25rem; border-radius: 3px; overflow-wrap: anywhere; }
section { margin-bottom: 1rem; }
#status { margin: 0.5rem 0 0; padding: 0.4rem 0.6rem; border-radius: 4px; background: var(--panel);
  border-left: 4px solid var(--muted); }
#status[data-state="open"] { border-left-color: var(--ok); }
#status[data-state="reconnecting"], #status[data-state="connecting"] { border-left-color: var(--warn); }
#status[data-state="closed"] { border-left-color: var(--bad); }
form, .row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-end; }
.field { display: flex; flex-direction: column; flex: 1 1 10rem; min-width: 0; }
label { font-weight: 600; font-size: 0.95rem; }
input, select, textarea, button { font: inherit; min-height: 2.75rem; }
input, select, textarea { padding: 0.4rem 0.5rem; border: 1px solid var(--muted); border-radius: 4px;
  background: var(--bg); color: var(--fg); width: 100%; }
textarea { min-height: 4.5rem; }
button { padding: 0.4rem 0.9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent);
  color: #fff; cursor: pointer; }
button.secondary { background: var(--bg); color: var(--accent); }
:focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
ol.log { list-style: none; padding: 0; margin: 0; max-height: 22rem; overflow-y: auto; border: 1px solid var(--line);
  border-radius: 4px; }
ol.log li { padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; font-size: 0.95rem; }
ol.log li:last-child { border-bottom: 0; }
.muted { color: var(--muted); }
.emoji-buttons { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.emoji-buttons button { font-size: 1.6rem; min-width: 3.25rem; background: var(--panel); border-color: var(--line); color: var(--fg); }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { display: flex; align-items: center; gap: 0.5rem; padding: 0.3rem 0; border-bottom: 1px solid var(--line); }
ul.plain li label { flex: 1; font-weight: normal; overflow-wrap: anywhere; }
ul.plain li input[type="checkbox"] { width: 1.5rem; min-height: 1.5rem; }
li.done label { text-decoration: line-through; color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0; list-style: none; }
.chips li { display: flex; align-items: center; gap: 0.25rem; background: var(--panel); border-radius: 4px; padding: 0 0 0 0.5rem; }
`;
