// Cards are cloned from <template data-template="…"> in the shell: no HTML strings in JavaScript.
import {apply} from '../i18n.js';

export function fromTemplate(name) {
  const template = document.querySelector(`template[data-template="${name}"]`);
  const element = template.content.firstElementChild.cloneNode(true);
  apply(element);
  return element;
}

/** Set the text of each [data-slot] element named in `texts`. */
export function fill(element, texts) {
  for (const [slot, text] of Object.entries(texts)) {
    const target = element.querySelector(`[data-slot="${slot}"]`);
    if (target) target.textContent = text ?? '';
  }
}
