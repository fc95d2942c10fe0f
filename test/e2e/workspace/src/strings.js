// String helpers for the sample workspace.

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function words(text) {
  return text.split(/\s+/).filter(Boolean);
}

export { capitalize, words };
