// A cluster at the highest zoom, opened as a list of its tickets: one link each (DOM nodes, no HTML strings).

export function clusterList(tickets, {pageBase, labels}) {
  const box = document.createElement('div');
  box.className = 'cluster-list';
  const title = document.createElement('strong');
  title.textContent = `${labels.cluster} (${tickets.length})`;
  const list = document.createElement('ul');
  for (const ticket of tickets) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `${pageBase}${ticket.id}`;
    link.textContent = ticket.case_number;
    const status = document.createElement('span');
    status.className = `badge badge-${ticket.status}`;
    status.textContent = labels.statuses[ticket.status] || ticket.status;
    item.append(link, ' ', status);
    list.append(item);
  }
  box.append(title, list);
  return box;
}
