"""French and English UI text. French is the default: most users are French-speaking."""

from __future__ import annotations

from typing import Any

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
LANG_KEY = "ml_lang"

STRINGS: dict[str, tuple[str, str]] = {
    # app and login
    "app_title": ("MarketLounge Workbench", "MarketLounge Workbench"),
    "login_title": ("Connexion", "Sign in"),
    "login_intro": (
        "Connectez-vous avec votre compte du workbench (créé par `marketlounge user create`).",
        "Sign in with your workbench account (created by `marketlounge user create`).",
    ),
    "username": ("Identifiant", "Username"),
    "password": ("Mot de passe", "Password"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "no_tenant": (
        "Votre compte n'a accès à aucun tenant existant : demandez à un admin "
        "(`marketlounge user create … --update --tenant …`).",
        "Your account has no existing tenant: ask an admin "
        "(`marketlounge user create … --update --tenant …`).",
    ),
    "tenant": ("Tenant", "Tenant"),
    "language": ("Langue", "Language"),
    "signed_in_as": ("Connecté : {name} ({role})", "Signed in: {name} ({role})"),
    "role_curator": ("curateur", "curator"),
    "role_analyst": ("analyste", "analyst"),
    "role_admin": ("admin", "admin"),
    "section_curation": ("Curation", "Curation"),
    "section_analysis": ("Analyse", "Analysis"),
    "section_operations": ("Exploitation", "Operations"),
    "forbidden": (
        "Cette page est réservée à d'autres rôles ({role}). Demandez l'accès à un admin.",
        "This page is for other roles ({role}). Ask an admin for access.",
    ),
    "db_unavailable": (
        "Base de données indisponible — lancez `marketlounge init` (ou vérifiez DATABASE_URL), "
        "puis rechargez la page.",
        "Database unavailable — run `marketlounge init` (or check DATABASE_URL), then reload.",
    ),
    "feature_missing": (
        "Fonction pas encore disponible dans cette installation ({what}) : mettez le code à "
        "jour (`make setup`).",
        "Feature not available in this installation yet ({what}): update the code (`make setup`).",
    ),
    "unexpected": (
        "Problème inattendu ({kind}) : rechargez la page ; s'il persiste, signalez-le avec "
        "l'heure ({when}) — le détail est dans le journal du serveur.",
        "Unexpected problem ({kind}): reload the page; if it persists, report it with the time "
        "({when}) — details are in the server log.",
    ),
    "done": ("Fait : {what}", "Done: {what}"),
    "nothing": ("Rien à afficher.", "Nothing to show."),
    "market_tension": ("Tension de marché", "Market tension"),
    # curation queue
    "cq_title": ("File de curation", "Curation queue"),
    "cq_caption": (
        "Brouillons classés par priorité : risque de doublon, demande, ancienneté.",
        "Drafts by priority: duplicate risk, demand, age.",
    ),
    "status": ("Statut", "Status"),
    "branch": ("Branche du glossaire", "Glossary branch"),
    "all_branches": ("Toutes les branches", "All branches"),
    "search": ("Recherche (libellé, code)", "Search (label, code)"),
    "stale_only": ("Obsolètes seulement", "Stale only"),
    "needs_review": ("+ validés à revoir", "+ validated to review"),
    "why": ("Pourquoi", "Why"),
    "status_reason": ("Motif du statut : {why}", "Status reason: {why}"),
    "stale_because": (
        "Obsolète : {why}. Valider confirme le concept tel quel ; sinon modifiez-le.",
        "Stale: {why}. Accepting confirms it as it is; otherwise edit it.",
    ),
    "duplicate_hint": (
        "Doublon possible de {other} (cosinus {cos}) : fusionnez-le, ou validez-le pour le "
        "garder distinct.",
        "Possible duplicate of {other} (cosine {cos}): merge it, or accept it to keep it "
        "distinct.",
    ),
    "tab_queue": ("File", "Queue"),
    "tab_bulk": ("Action groupée", "Bulk action"),
    "tab_candidates": ("Requêtes sans réponse", "Unanswered queries"),
    "tab_activity": ("Activité récente", "Recent activity"),
    "queue_empty": (
        "File vide pour ces filtres — bravo, tout est curé.",
        "Queue empty for these filters — well done, all curated.",
    ),
    "queue_count": ("{n} concept(s) dans la file", "{n} concept(s) in the queue"),
    "current": ("Concept en cours", "Current concept"),
    "position": ("Élément {i} sur {n}", "Item {i} of {n}"),
    "previous": ("◀ Précédent", "◀ Previous"),
    "next": ("Suivant ▶", "Next ▶"),
    "priority": ("Priorité", "Priority"),
    "duplicate_risk": ("Risque doublon", "Duplicate risk"),
    "demand": ("Demande", "Demand"),
    "demand_total": ("Demande (demandes + requêtes)", "Demand (demands + queries)"),
    "age_days": ("Âge (j)", "Age (days)"),
    "label": ("Libellé", "Label"),
    "code": ("Code", "Code"),
    "evidence": ("Éléments de preuve", "Evidence"),
    "sources": ("Nœuds sources du glossaire", "Source glossary nodes"),
    "texts": ("Libellés, synonymes, définitions", "Labels, synonyms, definitions"),
    "neighbours": ("Concepts proches (cosinus)", "Nearest concepts (cosine)"),
    "samples": ("Ce qu'il couvrirait", "What it would match"),
    "examples": ("Exemples étiquetés", "Labelled examples"),
    "demands": ("Demandes (échantillon)", "Demands (sample)"),
    "queries": ("Requêtes journalisées", "Logged queries"),
    "companies": ("Entreprises qu'il activerait", "Companies it would activate"),
    "no_embedding": (
        "Pas encore de vecteur : le prochain build dico le calculera.",
        "No embedding yet: the next dico build computes it.",
    ),
    "decision": ("Décision", "Decision"),
    "action": ("Action", "Action"),
    "act_accept": ("Valider", "Accept"),
    "act_reject": ("Rejeter", "Reject"),
    "act_merge": ("Fusionner dans…", "Merge into…"),
    "reason": ("Motif (obligatoire pour un rejet)", "Reason (required to reject)"),
    "merge_target": ("Concept cible de la fusion", "Concept to merge into"),
    "merge_search": ("Chercher une autre cible", "Search another target"),
    "apply": ("Appliquer et passer au suivant", "Apply and go to next"),
    "keyboard_hint": (
        "Clavier : Tab pour changer de champ, Entrée dans le motif pour appliquer.",
        "Keyboard: Tab between fields, Enter in the reason to apply.",
    ),
    "edit": ("Modifier les textes", "Edit texts"),
    "synonyms_help": ("Un synonyme par ligne", "One synonym per line"),
    "definition": ("Définition", "Definition"),
    "save_edit": ("Enregistrer les modifications", "Save changes"),
    "history": ("Historique du concept", "Concept history"),
    "undo": ("Annuler", "Undo"),
    "undone_by": ("annulé par #{id}", "undone by #{id}"),
    "bulk_intro": (
        "Appliquer une action à toute la sélection filtrée ({n} concepts). Tout ou rien : si "
        "un concept ne peut pas la recevoir, rien n'est écrit.",
        "Apply one action to the whole filtered selection ({n} concepts). All or nothing: if "
        "one concept cannot take it, nothing is written.",
    ),
    "bulk_limit": ("Nombre de concepts (en tête de file)", "Number of concepts (top of queue)"),
    "bulk_confirm": (
        "Je confirme l'action sur ces {n} concepts",
        "I confirm the action on these {n} concepts",
    ),
    "bulk_run": ("Lancer l'action groupée", "Run bulk action"),
    "bulk_need_confirm": (
        "Cochez la confirmation d'abord.",
        "Tick the confirmation first.",
    ),
    "candidates_intro": (
        "Formulations sans résultat ou avec un score faible : des concepts manquent peut-être.",
        "Wordings with no or weak results: concepts may be missing.",
    ),
    "propose": ("Proposer comme nouveau concept", "Propose as new concept"),
    "wording": ("Formulation", "Wording"),
    "count": ("Occurrences", "Count"),
    "best_score": ("Meilleur score", "Best score"),
    # glossary
    "gl_title": ("Glossaire", "Glossary"),
    "gl_caption": (
        "Parcourez l'arbre : cherchez un code ou un libellé, ouvrez un nœud, remontez par le "
        "fil d'Ariane.",
        "Browse the tree: search a code or label, open a node, go up with the breadcrumbs.",
    ),
    "taxonomy": ("Taxonomie", "Taxonomy"),
    "all_taxonomies": ("Toutes", "All"),
    "tab_tree": ("Arbre", "Tree"),
    "tab_quality": ("Qualité", "Quality"),
    "tab_stale": ("Concepts obsolètes", "Stale concepts"),
    "roots": ("Racines", "Roots"),
    "children": ("Enfants ({n})", "Children ({n})"),
    "open_node": ("Ouvrir un nœud", "Open a node"),
    "results": ("Résultats ({n})", "Results ({n})"),
    "node": ("Nœud", "Node"),
    "level": ("Niveau", "Level"),
    "version": ("Version", "Version"),
    "descriptions": ("Descriptions", "Descriptions"),
    "derived_concepts": ("Concepts dérivés", "Derived concepts"),
    "provenance": ("Provenance", "Provenance"),
    "no_glossary": (
        "Glossaire vide : importez une taxonomie (`marketlounge build glossary --tenant …`).",
        "Empty glossary: import a taxonomy (`marketlounge build glossary --tenant …`).",
    ),
    "no_report": (
        "Aucun build glossaire réussi pour ce tenant : lancez-en un (page Builds).",
        "No successful glossary build for this tenant: run one (Builds page).",
    ),
    "report_of": ("Rapport du build #{id} ({when})", "Report of build #{id} ({when})"),
    "warnings": ("Avertissements", "Warnings"),
    "no_stale": ("Aucun concept obsolète.", "No stale concept."),
    "home": ("⌂ Racines", "⌂ Roots"),
    # match explorer
    "me_title": ("Explorateur de correspondances", "Match explorer"),
    "me_caption": (
        "Tapez un besoin ; voyez la shortlist, la part de chaque score et l'explication.",
        "Type a need; see the shortlist, each score's share and the explanation.",
    ),
    "query": ("Requête", "Query"),
    "query_placeholder": (
        "ex. usinage titane, maintenance de compresseurs",
        "e.g. titanium machining",
    ),
    "top_k": ("Taille de la shortlist", "Shortlist size"),
    "company": ("Entreprise", "Company"),
    "any_company": ("Toutes", "Any"),
    "company_search": ("Chercher une entreprise (nom, SIREN)", "Find a company (name, SIREN)"),
    "only_activated": ("Seulement les concepts avec entreprises", "Only concepts with companies"),
    "include_drafts": ("Inclure les brouillons", "Include drafts"),
    "fusion": ("Fusion", "Fusion"),
    "lexical_weight": (
        "Poids lexical (vectoriel = 1 − lexical)",
        "Lexical weight (vector = 1 − lexical)",
    ),
    "rrf_k": ("Constante k de RRF", "RRF constant k"),
    "run_match": ("Chercher", "Search"),
    "tab_shortlist": ("Shortlist", "Shortlist"),
    "tab_why_not": ("Pourquoi pas X ?", "Why not X?"),
    "tab_compare": ("Comparer deux fusions", "Compare two fusions"),
    "no_match": ("Aucun concept pour cette requête.", "No concept for this query."),
    "score_parts": ("Parts du score par candidat", "Score parts per candidate"),
    "explanation": ("Explication", "Explanation"),
    "why_not_concept": ("Concept attendu", "Expected concept"),
    "why_not_run": ("Expliquer", "Explain"),
    "run_first": ("Lancez d'abord une recherche.", "Run a search first."),
    "setting_a": ("Réglage A", "Setting A"),
    "setting_b": ("Réglage B", "Setting B"),
    "compare_run": ("Comparer", "Compare"),
    "rank_changes": ("Rangs comparés", "Ranks compared"),
    "backend": (
        "Index vectoriel : {b} · {ms} ms · cache : {c}",
        "Vector index: {b} · {ms} ms · cache: {c}",
    ),
    # query log
    "ql_title": ("Journal des requêtes", "Query log"),
    "ql_caption": (
        "Les correspondances récentes, avec leur explication stockée.",
        "Recent matches, with their stored explanation.",
    ),
    "date_range": ("Période", "Date range"),
    "no_result_only": ("Seulement sans résultat", "No result only"),
    "low_score_only": ("Seulement les scores faibles", "Low scores only"),
    "low_score": ("Seuil de score faible", "Low score threshold"),
    "open_log": ("Ouvrir une requête", "Open a query"),
    "stored_explanation": ("Explication stockée", "Stored explanation"),
    "options": ("Options", "Options"),
    "no_logs": (
        "Aucune requête journalisée avec ces filtres.",
        "No logged query with these filters.",
    ),
    # builds
    "bd_title": ("Builds", "Builds"),
    "bd_caption": (
        "Historique des builds (glossaire → dico → activations → index → évaluation).",
        "Build history (glossary → dico → activations → index → evaluate).",
    ),
    "no_runs": ("Aucun build pour ce tenant.", "No build for this tenant."),
    "open_run": ("Ouvrir un build", "Open a build"),
    "parameters": ("Paramètres", "Parameters"),
    "counts": ("Comptes", "Counts"),
    "notebook_summary": ("Résumé du notebook exécuté", "Executed notebook summary"),
    "no_notebook": (
        "Pas de notebook exécuté pour ce build.",
        "No executed notebook for this run.",
    ),
    "launch": ("Lancer un build", "Launch a build"),
    "launch_admin_only": (
        "Le lancement d'un build est réservé aux admins.",
        "Launching a build is for admins only.",
    ),
    "step": ("Étape", "Step"),
    "launch_button": ("Lancer", "Launch"),
    "launching": ("Build en cours… (quelques minutes possibles)", "Building… (may take minutes)"),
    "build_failed": ("Le build a échoué : {error}", "The build failed: {error}"),
    "build_ok": ("Build #{id} terminé ({s} s).", "Build #{id} finished ({s} s)."),
}
"""Key → (French, English)."""


def translate(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (French when missing), with ``{values}`` filled in.

    >>> translate("position", "en", i=2, n=5)
    'Item 2 of 5'
    >>> translate("position", "fr", i=2, n=5)
    'Élément 2 sur 5'
    >>> translate("no-such-key")
    'no-such-key'
    """
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def current_lang() -> str:
    """The language chosen in the sidebar (French by default)."""
    import streamlit as st

    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, **values: Any) -> str:
    """:func:`translate` in the current session's language."""
    return translate(key, current_lang(), **values)
