# gen-items.awk: writes the demo's support tickets, one JSON object a line.
# Deterministic (Park-Miller generator, exact in doubles; no srand), so the shipped items.jsonl
# can be rebuilt byte for byte:  awk -v n=3000 -f gen-items.awk >items.jsonl
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function pick(list,    a, k) { k = split(list, a, "|"); return a[int(rnd() * k) + 1] }
BEGIN {
	seed = 20240601
	if (n == "") n = 3000
	products = "Nimbus Router X2|Aurora Smart Lamp|Pulse Fitness Band|Harbor NAS 4-Bay|Quill E-Reader|Tempo Espresso Maker|Vista 4K Webcam|Echo Buds Pro|Atlas Standing Desk|Orbit Robot Vacuum"
	channels = "email|chat|phone|web form|app"
	tiers = "free|plus|business"
	names = "Ana|Ben|Chloe|Dmitri|Emeka|Fatima|Goran|Hana|Ivan|Julia|Kenji|Lucia|Marek|Nadia|Omar|Priya|Quentin|Rosa|Sven|Tariq|Uma|Viktor|Wen|Yusuf|Zoe"

	# Each kind: subjects and bodies; {p} is the product, {d} a number of days, {o} an order number.
	ks = "billing|bug|shipping|account|feature|praise|returns"
	subj["billing"] = "Charged twice this month|Refund not received|Invoice shows wrong VAT|Why did my plan price go up?|Card declined but money taken"
	body["billing"] = "I was billed twice for my {p} subscription on the same day. Please refund the duplicate charge.|You promised a refund for order {o} {d} days ago and I still have nothing on my statement.|The invoice for order {o} lists VAT for the wrong country. I need a corrected invoice for my accountant.|My renewal for the {p} plan cost more than last year and nobody told me. Can you explain?|The payment page said my card was declined, but my bank shows the charge for order {o}."
	subj["bug"] = "Keeps disconnecting|App crashes on start|Firmware update failed|Battery drains overnight|Settings reset after reboot"
	body["bug"] = "My {p} drops the connection every few minutes since the last update {d} days ago. Restarting does not help.|The companion app for the {p} crashes as soon as I open it. I reinstalled it twice.|The firmware update on my {p} stopped at 60% and now the light just blinks red.|My {p} battery goes from full to empty overnight even when it is switched off.|Every time the {p} restarts, all my settings are gone and I have to set it up again."
	subj["shipping"] = "Where is my order?|Package marked delivered but not here|Wrong item received|Box arrived damaged|Delivery delayed again"
	body["shipping"] = "Order {o} was supposed to arrive {d} days ago and tracking has not moved.|Tracking says order {o} was delivered but there is nothing at my door or with my neighbours.|I ordered a {p} and received something completely different in order {o}.|The {p} from order {o} came in a crushed box and the screen is cracked.|The delivery date for my {p} has been pushed back for the third time."
	subj["account"] = "Cannot log in|Two-factor code never arrives|Please delete my account|Change the email on my account|Locked out after password reset"
	body["account"] = "I cannot log in to manage my {p}; it says my password is wrong even after a reset.|The two-factor code for my account never arrives by SMS, so I cannot sign in.|Please delete my account and all data you hold about me.|I need to change the email address on my account because I no longer use the old one.|After resetting my password my account is locked and the unlock link has expired."
	subj["feature"] = "Feature request: dark mode|Please add an API|Support for more languages|Could it work offline?|Schedule option wanted"
	body["feature"] = "It would be great if the {p} app had a dark mode for use at night.|I would love an API to control my {p} from my own scripts.|Please add Polish and Turkish to the {p} interface; my parents cannot use it in English.|Could the {p} keep working when the internet is down? It becomes useless right now.|I would like to schedule the {p} to turn on and off at set times."
	subj["praise"] = "Great product!|Thank you to your support team|Love it|Exceeded expectations|Best purchase this year"
	body["praise"] = "Just wanted to say the {p} works perfectly. Setup took five minutes.|Your agent fixed my {p} problem in one call. Thank you!|I have used the {p} every day for {d} days and it is wonderful.|The {p} is faster and quieter than I expected. Well done.|Honestly the best thing I bought this year. The {p} is brilliant."
	subj["returns"] = "How do I return this?|Return label not working|Exchange for another model|Return window question|Refund after return"
	body["returns"] = "I want to return the {p} from order {o}. How do I start?|The return label you emailed for order {o} is rejected by the courier.|Can I exchange the {p} for the other model instead of a refund?|I bought the {p} {d} days ago. Am I still inside the return window?|I sent back the {p} from order {o} {d} days ago; when will I get my money?"

	nk = split(ks, kinds, "|")
	for (i = 1; i <= n; i++) {
		k = kinds[int(rnd() * nk) + 1]
		ns = split(subj[k], sa, "|"); split(body[k], ba, "|")
		j = int(rnd() * ns) + 1
		p = pick(products); d = int(rnd() * 40) + 2; o = sprintf("%d", 100000 + int(rnd() * 900000))
		b = ba[j]
		gsub(/\{p\}/, p, b); gsub(/\{d\}/, d, b); gsub(/\{o\}/, o, b)
		s = sa[j]
		printf "{\"ticket_id\":\"T-%06d\",\"customer\":\"%s\",\"tier\":\"%s\",\"channel\":\"%s\",\"product\":\"%s\",\"subject\":\"%s\",\"body\":\"%s\"}\n", i, pick(names), pick(tiers), pick(channels), p, s, b
	}
}
