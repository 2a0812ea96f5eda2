/**
 * Word pools the demo generator builds names from. All lower-case ASCII, at least three letters,
 * and none of them reserved or profane, so a plain handle built from them is valid.
 *
 * @module
 */

/** Popular first names, most popular first (the generator favours the head of the list). */
export const FIRST_NAMES: readonly string[] = words(`
  alex maria john david michael sarah chris anna james laura daniel emma mike lisa kevin jessica
  mark julia tom sophie paul nina peter elena ryan olivia sam kate jack emily luis ana carlos sofia
  jose lucas mateo lucia juan camila pedro isabel diego valentina marco giulia luca chiara pierre
  marie louis camille hans lena max hannah jan eva piotr kasia ivan olga dmitri natasha ali fatima
  omar aisha mohamed leila raj priya amit neha wei mei chen yuki kenji hiro sakura minjun jisoo
  linh tuan kwame amara chidi zara noah liam ethan mia ava leo ella oscar ruby felix iris hugo nora
  adam eve bob alice charlie dan ben joe tim sara martin thomas andrea simon robin kim lee jordan
`);

/** Common surnames. */
export const LAST_NAMES: readonly string[] = words(`
  smith silva garcia kim nguyen muller rossi martin lee brown jones santos lopez wang patel khan
  cohen novak kowalski ivanov dubois schmidt tanaka sato park chen johnson williams miller davis
  wilson taylor anderson moore jackson white harris clark lewis walker young king wright scott
  green baker adams nelson hill campbell mitchell roberts carter evans turner torres parker collins
  edwards stewart morris murphy cook rogers morgan cooper reed bailey bell gomez kelly howard ward
  diaz wood watson brooks bennett gray reyes cruz hughes price myers foster sanders ross morales
  powell sullivan russell ortiz jenkins perry fisher henderson hamilton graham
`);

/** Words people put in front of their name. */
export const HANDLE_WORDS: readonly string[] = words(`
  pixel ninja gamer coffee sunny shadow dragon tiger wolf star moon rocket happy lucky cool super
  dark blue silver golden cyber retro crazy magic storm night dream alpha omega captain doctor
  mister little real the its
`);

/** Domains reserved for documentation (RFC 2606), so no address is anyone's. */
export const EMAIL_DOMAINS: readonly string[] = words(`
  example.com example.org example.net mail.example.com corp.example uni.example
`);

/** The whitespace-separated words of `text`. */
export function words(text: string): string[] {
  return text.trim().split(/\s+/);
}
