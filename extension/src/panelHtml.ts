// The candidates panel's HTML document. Pure (no vscode import) so the webview tests serve the very
// same page. Everything the page loads comes from the extension's dist/webview/ folder:
//   main.js (the script), main.css (its styles), codicons/codicon.css (+ codicon.ttf, the icon font).
// The CSP allows only those: scripts by nonce, styles and fonts from the webview's own origin, no
// inline script or style at all.

export interface PanelHtmlOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** A fresh random value per page (base64 or hex). */
  readonly nonce: string;
  /** `asWebviewUri(dist/webview/main.js)`. */
  readonly scriptUri: string;
  /** `asWebviewUri(dist/webview/main.css)`. */
  readonly styleUri: string;
  /** `asWebviewUri(dist/webview/codicons/codicon.css)`. */
  readonly codiconsUri: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/** For double-quoted attribute values. */
function escapeAttribute(value: string): string {
  return value.replace(/[&<>"]/g, (character) => ESCAPES[character] ?? character);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join("; ");
}

export function panelHtml(options: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(options.nonce)) throw new Error("The nonce must be base64 or hex.");
  const attribute = escapeAttribute;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attribute(contentSecurityPolicy(options.cspSource, options.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${attribute(options.codiconsUri)}">
  <link rel="stylesheet" href="${attribute(options.styleUri)}">
  <title>STAND candidates</title>
</head>
<body>
  <div id="app"></div>
  <script nonce="${attribute(options.nonce)}" src="${attribute(options.scriptUri)}"></script>
</body>
</html>
`;
}
