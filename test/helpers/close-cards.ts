/** Closes every card a test opened; one already closed (by the test itself) is fine. */
export function closeCards(cards: Iterable<{ close(): void }>): void {
  for (const card of cards) {
    try {
      card.close();
    } catch {
      // already closed
    }
  }
}
