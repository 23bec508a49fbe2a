// The popup of one ticket: thumbnail, case number, status and a link, loaded when clicked.

/** Build the popup's content for `ticket` (the API's ticket detail) with DOM nodes, never HTML strings. */
export function ticketPopup(ticket, {pageUrl, labels}) {
  const box = document.createElement('div');
  box.className = 'ticket-popup';
  const before = (ticket.photos || []).find((p) => p.kind === 'before');
  // No thumbnail_url while the derivatives are being made (issue 20): the popup goes without a picture.
  if (before && before.thumbnail_url) {
    const img = document.createElement('img');
    img.src = before.thumbnail_url;
    img.alt = ticket.case_number;
    img.loading = 'lazy';
    box.append(img);
  }
  const title = document.createElement('a');
  title.href = pageUrl;
  title.textContent = ticket.case_number;
  title.className = 'popup-case';
  const status = document.createElement('span');
  status.className = `badge badge-${ticket.status}`;
  status.textContent = labels.statuses[ticket.status] || ticket.status;
  const address = document.createElement('p');
  address.textContent = ticket.address || '';
  const open = document.createElement('a');
  open.href = pageUrl;
  open.textContent = labels.open;
  box.append(title, ' ', status, address, open);
  return box;
}

/** Fetch the ticket and fill `popup` with it. */
export async function loadTicketPopup(popup, id, {apiBase, pageBase, labels}) {
  popup.setContent(labels.loading);
  try {
    const response = await fetch(`${apiBase}${id}`, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    popup.setContent(ticketPopup(await response.json(), {pageUrl: `${pageBase}${id}`, labels}));
  } catch {
    popup.setContent(labels.failed);
  }
}
