// The screens (capture, outbox, my reports, assessment) as tabs driven by the URL fragment.

const SCREENS = ['capture', 'outbox', 'reports', 'assess'];

export function showScreen(name) {
  const current = SCREENS.includes(name) ? name : 'capture';
  for (const section of document.querySelectorAll('[data-screen]')) section.hidden = section.dataset.screen !== current;
  for (const tab of document.querySelectorAll('[data-tab]')) {
    tab.setAttribute('aria-current', tab.dataset.tab === current ? 'page' : 'false');
  }
}

export function mountTabs() {
  const follow = () => showScreen(location.hash.slice(1));
  window.addEventListener('hashchange', follow);
  follow();
}
