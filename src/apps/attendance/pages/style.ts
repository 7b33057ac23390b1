/** The pages' stylesheet: system fonts, 4.5:1 contrast or better, visible focus, 360-px phones first. */
export const STYLE = `
*{box-sizing:border-box}
html{font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#fff}
body{margin:0}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.25rem 0 .5rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select,button{font:inherit;min-height:44px}
input[type=text],input[type=password],input[type=number],input[type=datetime-local],select{width:100%;padding:.4rem .5rem;border:2px solid #555;border-radius:6px;background:#fff;color:#111}
input[type=checkbox]{width:1.4rem;height:1.4rem;vertical-align:middle;margin-right:.5rem}
.check{display:flex;align-items:center;font-weight:600;margin:.75rem 0}
button,.button{display:inline-block;padding:.5rem 1rem;border:0;border-radius:6px;background:#0b4f8a;color:#fff;font-weight:600;text-decoration:none;cursor:pointer;margin:.5rem .5rem 0 0}
button.secondary{background:#fff;color:#0b4f8a;border:2px solid #0b4f8a}
button:disabled{background:#666}
:focus-visible{outline:3px solid #c45a00;outline-offset:2px}
.notice{padding:.75rem 1rem;border-radius:6px;border:2px solid #555;margin:1rem 0}
.ok{border-color:#1d6b2f;background:#e8f5ea;color:#0d3d18}
.error{border-color:#a11;background:#fdecec;color:#6b0000}
.muted{color:#444}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:.35rem;border-bottom:1px solid #999}
.display main{max-width:none;text-align:center}
.display h1{font-size:clamp(1.5rem,4vw,3rem)}
.display .code{width:min(70vh,90vw);height:min(70vh,90vw);image-rendering:pixelated;background:#fff}
.display .figures{display:flex;justify-content:center;gap:3rem;font-size:clamp(1.2rem,3vw,2.2rem)}
.display .figure strong{display:block;font-size:1.6em}
video{width:100%;max-height:50vh;background:#000;border-radius:6px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
[hidden]{display:none!important}
`;
